//! JSON request bodies with their keys in the recorded order (`serde_json::Value` sorts them),
//! so the generated `json!` literals read like the recording.

use std::fmt;

use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Number, Value};

/// A JSON value whose objects keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The same value as a `serde_json::Value`.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Number(n) => Value::Number(n.clone()),
            Self::String(s) => Value::String(s.clone()),
            Self::Array(items) => Value::Array(items.iter().map(Self::to_value).collect()),
            Self::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Calls `f(pointer, key, leaf)` for every scalar; `key` is the object key the leaf (or
    /// the array holding it) sits under.
    pub(crate) fn for_each_leaf(&self, f: &mut dyn FnMut(&str, Option<&str>, &Json)) {
        fn walk(
            value: &Json,
            pointer: &mut String,
            key: Option<&str>,
            f: &mut dyn FnMut(&str, Option<&str>, &Json),
        ) {
            match value {
                Json::Object(entries) => {
                    for (k, v) in entries {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&escape_pointer(k));
                        walk(v, pointer, Some(k), f);
                        pointer.truncate(len);
                    }
                }
                Json::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&i.to_string());
                        walk(v, pointer, key, f);
                        pointer.truncate(len);
                    }
                }
                leaf => f(pointer, key, leaf),
            }
        }
        walk(self, &mut String::new(), None, f);
    }
}

/// A key as a JSON pointer token (RFC 6901).
pub(crate) fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;

        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }

            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }

            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }

            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }

            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }

            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Number::from_f64(v).map_or(Json::Null, Json::Number))
            }

            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::String(v.to_owned()))
            }

            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::String(v))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut entries: Vec<(String, Json)> = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Json>()? {
                    // A repeated key: the last one wins, as in serde_json.
                    match entries.iter_mut().find(|(k, _)| *k == key) {
                        Some(slot) => slot.1 = value,
                        None => entries.push((key, value)),
                    }
                }
                Ok(Json::Object(entries))
            }
        }

        deserializer.deserialize_any(JsonVisitor)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        match self {
            Self::Null => serializer.serialize_unit(),
            Self::Bool(b) => serializer.serialize_bool(*b),
            Self::Number(n) => n.serialize(serializer),
            Self::String(s) => serializer.serialize_str(s),
            Self::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Self::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order() {
        let json: Json =
            serde_json::from_str(r#"{"z": 1, "a": [true, null, 1.5], "m": {"y": "x", "b": -2}}"#)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::to_string(&json).unwrap_or_default(),
            r#"{"z":1,"a":[true,null,1.5],"m":{"y":"x","b":-2}}"#
        );
        let mut leaves = Vec::new();
        json.for_each_leaf(&mut |pointer, key, _| {
            leaves.push((pointer.to_owned(), key.map(str::to_owned)))
        });
        assert_eq!(leaves[0], ("/z".to_owned(), Some("z".to_owned())));
        assert_eq!(leaves[2], ("/a/1".to_owned(), Some("a".to_owned())));
        assert_eq!(leaves[5], ("/m/b".to_owned(), Some("b".to_owned())));
    }
}
