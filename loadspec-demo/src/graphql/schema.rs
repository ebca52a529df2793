//! The static schema: which fields each type has, their arguments and result types, and
//! the validation of a parsed operation against it (graphql-js' messages).

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use super::parser::{Field, GqlError, Operation, OperationKind, TypeRef, Value};

/// An argument's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArgType {
    Int,
    String,
}

impl ArgType {
    fn name(self) -> &'static str {
        match self {
            Self::Int => "Int",
            Self::String => "String",
        }
    }
}

/// A field argument.
pub(crate) struct ArgDef {
    pub(crate) name: &'static str,
    pub(crate) ty: ArgType,
    pub(crate) required: bool,
}

/// What a field returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Returns {
    Scalar(&'static str),
    Object(&'static str),
    List(&'static str),
}

/// A field of an object type.
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) returns: Returns,
    pub(crate) args: &'static [ArgDef],
}

const fn scalar(name: &'static str, ty: &'static str) -> FieldDef {
    FieldDef {
        name,
        returns: Returns::Scalar(ty),
        args: &[],
    }
}

const fn arg(name: &'static str, ty: ArgType) -> ArgDef {
    ArgDef {
        name,
        ty,
        required: false,
    }
}

const CLAIMS_ARGS: &[ArgDef] = &[
    arg("insuree", ArgType::String),
    arg("status", ArgType::Int),
    arg("healthFacility", ArgType::String),
    arg("dateFrom", ArgType::String),
    arg("dateTo", ArgType::String),
    arg("first", ArgType::Int),
    arg("offset", ArgType::Int),
];

const QUERY: &[FieldDef] = &[
    FieldDef {
        name: "claims",
        returns: Returns::List("Claim"),
        args: CLAIMS_ARGS,
    },
    FieldDef {
        name: "claim",
        returns: Returns::Object("Claim"),
        args: &[ArgDef {
            name: "code",
            ty: ArgType::String,
            required: true,
        }],
    },
    FieldDef {
        name: "insuree",
        returns: Returns::Object("Insuree"),
        args: &[ArgDef {
            name: "chfId",
            ty: ArgType::String,
            required: true,
        }],
    },
    scalar("__typename", "String!"),
];

const CLAIM: &[FieldDef] = &[
    scalar("id", "Int"),
    scalar("code", "String"),
    scalar("visitType", "String"),
    scalar("dateFrom", "String"),
    scalar("dateTo", "String"),
    scalar("dateClaimed", "String"),
    scalar("claimed", "Float"),
    scalar("approved", "Float"),
    scalar("status", "Int"),
    FieldDef {
        name: "insuree",
        returns: Returns::Object("Insuree"),
        args: &[],
    },
    FieldDef {
        name: "healthFacility",
        returns: Returns::Object("HealthFacility"),
        args: &[],
    },
    FieldDef {
        name: "diagnosis",
        returns: Returns::Object("Diagnosis"),
        args: &[],
    },
    FieldDef {
        name: "items",
        returns: Returns::List("ClaimItem"),
        args: &[],
    },
    FieldDef {
        name: "services",
        returns: Returns::List("ClaimService"),
        args: &[],
    },
    scalar("__typename", "String!"),
];

const INSUREE: &[FieldDef] = &[
    scalar("id", "Int"),
    scalar("chfId", "String"),
    scalar("lastName", "String"),
    scalar("otherNames", "String"),
    scalar("gender", "String"),
    scalar("dob", "String"),
    scalar("head", "Boolean"),
    scalar("phone", "String"),
    scalar("email", "String"),
    scalar("familyId", "Int"),
    scalar("__typename", "String!"),
];

const HEALTH_FACILITY: &[FieldDef] = &[
    scalar("id", "Int"),
    scalar("code", "String"),
    scalar("name", "String"),
    scalar("level", "String"),
    scalar("__typename", "String!"),
];

const DIAGNOSIS: &[FieldDef] = &[
    scalar("id", "Int"),
    scalar("code", "String"),
    scalar("name", "String"),
    scalar("__typename", "String!"),
];

const CLAIM_ITEM: &[FieldDef] = &[
    scalar("itemCode", "String"),
    scalar("itemName", "String"),
    scalar("qty", "Int"),
    scalar("price", "Float"),
    scalar("status", "Int"),
    scalar("__typename", "String!"),
];

const CLAIM_SERVICE: &[FieldDef] = &[
    scalar("serviceCode", "String"),
    scalar("serviceName", "String"),
    scalar("qty", "Int"),
    scalar("price", "Float"),
    scalar("status", "Int"),
    scalar("__typename", "String!"),
];

fn fields_of(type_name: &str) -> &'static [FieldDef] {
    match type_name {
        "Query" => QUERY,
        "Claim" => CLAIM,
        "Insuree" => INSUREE,
        "HealthFacility" => HEALTH_FACILITY,
        "Diagnosis" => DIAGNOSIS,
        "ClaimItem" => CLAIM_ITEM,
        "ClaimService" => CLAIM_SERVICE,
        _ => &[],
    }
}

/// A concrete argument value after variable substitution and coercion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArgValue {
    Int(i64),
    Str(String),
}

/// A validated field ready to execute.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub(crate) key: String,
    pub(crate) name: &'static str,
    pub(crate) type_name: &'static str,
    pub(crate) args: HashMap<&'static str, ArgValue>,
    pub(crate) children: Vec<Planned>,
}

impl Planned {
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        match self.args.get(name) {
            Some(ArgValue::Int(v)) => Some(*v),
            _ => None,
        }
    }

    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        match self.args.get(name) {
            Some(ArgValue::Str(v)) => Some(v),
            _ => None,
        }
    }

    /// Whether any selected child is one of `names`.
    pub(crate) fn selects(&self, names: &[&str]) -> bool {
        self.children.iter().any(|c| names.contains(&c.name))
    }
}

/// Coerced variable values of the operation.
type Variables = HashMap<String, Option<Value>>;

/// Picks the operation, coerces the variables and validates the selection; every problem
/// found is reported, as GraphQL servers do.
pub(crate) fn plan(
    operations: Vec<Operation>,
    operation_name: Option<&str>,
    variables: Option<&Json>,
) -> Result<Vec<Planned>, Vec<GqlError>> {
    let op = select_operation(operations, operation_name).map_err(|e| vec![e])?;
    match op.kind {
        OperationKind::Query => {}
        OperationKind::Mutation => {
            return Err(vec![GqlError::new(
                "Schema is not configured for mutations.",
                Some(op.pos),
            )]);
        }
        OperationKind::Subscription => {
            return Err(vec![GqlError::new(
                "Schema is not configured for subscriptions.",
                Some(op.pos),
            )]);
        }
    }
    let mut errors = Vec::new();
    let vars = coerce_variables(&op, variables, &mut errors);
    let mut used = HashSet::new();
    let defs: HashMap<&str, &TypeRef> = op
        .variables
        .iter()
        .map(|v| (v.name.as_str(), &v.ty))
        .collect();
    let mut ctx = Ctx {
        op: &op,
        vars: &vars,
        defs: &defs,
        used: &mut used,
        errors: &mut errors,
    };
    let planned = ctx.selection("Query", &op.selection);
    for def in &op.variables {
        if !used.contains(def.name.as_str()) {
            let message = match &op.name {
                Some(name) => format!(
                    "Variable \"${}\" is never used in operation \"{name}\".",
                    def.name
                ),
                None => format!("Variable \"${}\" is never used.", def.name),
            };
            errors.push(GqlError::new(message, Some(def.pos)));
        }
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    }
}

fn select_operation(
    mut operations: Vec<Operation>,
    name: Option<&str>,
) -> Result<Operation, GqlError> {
    match name {
        Some(wanted) => {
            let index = operations
                .iter()
                .position(|o| o.name.as_deref() == Some(wanted));
            match index {
                Some(index) => Ok(operations.swap_remove(index)),
                None => Err(GqlError::new(
                    format!("Unknown operation named \"{wanted}\"."),
                    None,
                )),
            }
        }
        None if operations.len() == 1 => operations
            .pop()
            .ok_or_else(|| GqlError::new("Must provide an operation.", None)),
        None => Err(GqlError::new(
            "Must provide operation name if query contains multiple operations.",
            None,
        )),
    }
}

fn json_to_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(json_to_value).collect()),
        Json::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), json_to_value(v)))
                .collect(),
        ),
    }
}

/// Checks a value against a named input scalar type, graphql-js style.
fn check_scalar(type_name: &str, value: &Value) -> Result<(), String> {
    let ok = match (type_name, value) {
        (_, Value::Null) => true,
        ("Int", Value::Int(v)) => i32::try_from(*v).is_ok(),
        ("Float", Value::Int(_) | Value::Float(_)) => true,
        ("String", Value::String(_)) => true,
        ("ID", Value::String(_) | Value::Int(_)) => true,
        ("Boolean", Value::Boolean(_)) => true,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    Err(match (type_name, value) {
        ("Int", Value::Int(_)) => {
            format!("Int cannot represent non 32-bit signed integer value: {value}")
        }
        ("Int", _) => format!("Int cannot represent non-integer value: {value}"),
        ("String", _) => format!("String cannot represent a non string value: {value}"),
        ("Boolean", _) => format!("Boolean cannot represent a non boolean value: {value}"),
        ("Float", _) => format!("Float cannot represent non numeric value: {value}"),
        _ => format!("ID cannot represent value: {value}"),
    })
}

fn coerce_variables(op: &Operation, given: Option<&Json>, errors: &mut Vec<GqlError>) -> Variables {
    let empty = serde_json::Map::new();
    let given = match given {
        None | Some(Json::Null) => &empty,
        Some(Json::Object(map)) => map,
        Some(_) => {
            errors.push(GqlError::new(
                "Variables must be provided as an Object.",
                None,
            ));
            &empty
        }
    };
    let mut out = Variables::new();
    for def in &op.variables {
        let (non_null, base) = match &def.ty {
            TypeRef::NonNull(inner) => (true, inner.as_ref()),
            other => (false, other),
        };
        let TypeRef::Named(type_name) = base else {
            errors.push(GqlError::new(
                format!(
                    "Variable \"${}\": list types are not supported by this server.",
                    def.name
                ),
                Some(def.pos),
            ));
            continue;
        };
        if !matches!(
            type_name.as_str(),
            "Int" | "Float" | "String" | "Boolean" | "ID"
        ) {
            errors.push(GqlError::new(
                format!("Unknown type \"{type_name}\"."),
                Some(def.pos),
            ));
            continue;
        }
        let value = match given.get(&def.name) {
            Some(json) => Some(json_to_value(json)),
            None => def.default.clone(),
        };
        match value {
            None if non_null => errors.push(GqlError::new(
                format!(
                    "Variable \"${}\" of required type \"{}\" was not provided.",
                    def.name, def.ty
                ),
                Some(def.pos),
            )),
            Some(Value::Null) if non_null => errors.push(GqlError::new(
                format!(
                    "Variable \"${}\" of non-null type \"{}\" must not be null.",
                    def.name, def.ty
                ),
                Some(def.pos),
            )),
            Some(value) => match check_scalar(type_name, &value) {
                Ok(()) => {
                    out.insert(def.name.clone(), Some(value));
                }
                Err(why) => errors.push(GqlError::new(
                    format!(
                        "Variable \"${}\" got invalid value {value}; {why}",
                        def.name
                    ),
                    Some(def.pos),
                )),
            },
            None => {
                out.insert(def.name.clone(), None);
            }
        }
    }
    out
}

struct Ctx<'a> {
    op: &'a Operation,
    vars: &'a Variables,
    defs: &'a HashMap<&'a str, &'a TypeRef>,
    used: &'a mut HashSet<String>,
    errors: &'a mut Vec<GqlError>,
}

impl Ctx<'_> {
    fn selection(&mut self, type_name: &'static str, fields: &[Field]) -> Vec<Planned> {
        let defs = fields_of(type_name);
        let mut out = Vec::new();
        for field in fields {
            let Some(def) = defs.iter().find(|d| d.name == field.name) else {
                self.errors.push(GqlError::new(
                    format!(
                        "Cannot query field \"{}\" on type \"{type_name}\".",
                        field.name
                    ),
                    Some(field.pos),
                ));
                continue;
            };
            let args = self.arguments(type_name, def, field);
            let children = match def.returns {
                Returns::Scalar(ty) => {
                    if !field.selection.is_empty() {
                        self.errors.push(GqlError::new(
                            format!(
                                "Field \"{}\" must not have a selection since type \"{ty}\" has no subfields.",
                                field.name
                            ),
                            Some(field.pos),
                        ));
                    }
                    Vec::new()
                }
                Returns::Object(ty) | Returns::List(ty) => {
                    if field.selection.is_empty() {
                        let shown = if matches!(def.returns, Returns::List(_)) {
                            format!("[{ty}]")
                        } else {
                            ty.to_owned()
                        };
                        self.errors.push(GqlError::new(
                            format!(
                                "Field \"{}\" of type \"{shown}\" must have a selection of subfields. Did you mean \"{} {{ ... }}\"?",
                                field.name, field.name
                            ),
                            Some(field.pos),
                        ));
                    }
                    self.selection(ty, &field.selection)
                }
            };
            out.push(Planned {
                key: field.response_key().to_owned(),
                name: def.name,
                type_name,
                args,
                children,
            });
        }
        out
    }

    fn arguments(
        &mut self,
        type_name: &str,
        def: &FieldDef,
        field: &Field,
    ) -> HashMap<&'static str, ArgValue> {
        let mut out = HashMap::new();
        for (name, value) in &field.args {
            let Some(arg) = def.args.iter().find(|a| a.name == name) else {
                self.errors.push(GqlError::new(
                    format!(
                        "Unknown argument \"{name}\" on field \"{type_name}.{}\".",
                        def.name
                    ),
                    Some(field.pos),
                ));
                continue;
            };
            let resolved = match value {
                Value::Variable(var) => {
                    self.used.insert(var.clone());
                    let Some(var_type) = self.defs.get(var.as_str()) else {
                        let message = match &self.op.name {
                            Some(op) => {
                                format!("Variable \"${var}\" is not defined by operation \"{op}\".")
                            }
                            None => format!("Variable \"${var}\" is not defined."),
                        };
                        self.errors.push(GqlError::new(message, Some(field.pos)));
                        continue;
                    };
                    let base = match var_type {
                        TypeRef::NonNull(inner) => inner.as_ref(),
                        other => other,
                    };
                    if *base != TypeRef::Named(arg.ty.name().to_owned()) {
                        self.errors.push(GqlError::new(
                            format!(
                                "Variable \"${var}\" of type \"{var_type}\" used in position expecting type \"{}\".",
                                arg.ty.name()
                            ),
                            Some(field.pos),
                        ));
                        continue;
                    }
                    // Missing variables were reported when coercing them.
                    self.vars.get(var).cloned().flatten()
                }
                literal => {
                    if let Err(why) = check_scalar(arg.ty.name(), literal) {
                        self.errors.push(GqlError::new(
                            format!("Argument \"{name}\" has invalid value {literal}: {why}"),
                            Some(field.pos),
                        ));
                        continue;
                    }
                    Some(literal.clone())
                }
            };
            match resolved {
                Some(Value::Int(v)) => {
                    out.insert(arg.name, ArgValue::Int(v));
                }
                Some(Value::String(s)) => {
                    out.insert(arg.name, ArgValue::Str(s));
                }
                _ => {}
            }
        }
        for arg in def.args.iter().filter(|a| a.required) {
            if !out.contains_key(arg.name) {
                self.errors.push(GqlError::new(
                    format!(
                        "Field \"{}\" argument \"{}\" of type \"{}!\" is required, but it was not provided.",
                        def.name,
                        arg.name,
                        arg.ty.name()
                    ),
                    Some(field.pos),
                ));
            }
        }
        out
    }
}
