//! The scalars graphene-django serialises as strings: `Decimal` (`"1670.00"`), `Date`
//! (`"2019-02-03"`), `DateTime` (`"2026-12-04T20:08:06.985804"`), `JSONString`, and the
//! `GenericScalar` of a token's payload.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::date::parse_day;

/// A money amount with two decimals, sent as a string like Django's `DecimalField`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decimal(pub(crate) f64);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .trim()
                .parse()
                .map(Self)
                .map_err(|_| InputValueError::custom(format!("Invalid decimal {text:?}"))),
            Value::Number(n) => n
                .as_f64()
                .map(Self)
                .ok_or_else(|| InputValueError::expected_type(value.clone())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(format!("{:.2}", self.0))
    }
}

/// A calendar day, `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Date(pub(crate) String);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) if parse_day(text).is_some() => Ok(Self(text.clone())),
            Value::String(text) => Err(InputValueError::custom(format!(
                "Received not compatible date \"{text}\""
            ))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// A timestamp, ISO 8601 without zone, as openIMIS stores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateTime(pub(crate) String);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Self(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// JSON carried as a string (`jsonExt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonString(pub(crate) String);

#[Scalar(name = "JSONString")]
impl ScalarType for JsonString {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Self(text)),
            other => Ok(Self(other.to_string())),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// Any JSON value (graphene's `GenericScalar`), e.g. a token's decoded payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GenericScalar(pub(crate) serde_json::Value);

#[Scalar(name = "GenericScalar")]
impl ScalarType for GenericScalar {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(Self)
            .map_err(|e| InputValueError::custom(e.to_string()))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_dates_read_and_print_as_graphene_does() {
        assert_eq!(Decimal(1670.0).to_value(), Value::String("1670.00".into()));
        assert_eq!(
            Decimal::parse(Value::String("12.5".into())).ok(),
            Some(Decimal(12.5))
        );
        assert!(Date::parse(Value::String("1990-01-01".into())).is_ok());
        assert!(Date::parse(Value::String("1990-13-01".into())).is_err());
        assert!(Date::parse(Value::Number(3.into())).is_err());
    }
}
