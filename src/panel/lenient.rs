//! Lenient serde helpers for the shapes real 3x-ui panels send inconsistently.
//!
//! Panels written by different UI versions store `tgId` as `""` or a number, send `null` where
//! an array or object is expected (`onlines`, `clientStats`, `obj` right after a restart), and
//! carry `settings`/`streamSettings`/`sniffing` as a JSON string (≤ v3.0.x) or as a nested object
//! (v3.1+). These helpers accept every form seen and normalise it; they never invent data.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::error::Category;

/// An integer that may arrive as a number (integral float included), a numeric string, `""` or
/// `null` (the last two read as 0).
///
/// # Errors
/// A non-numeric string, a fractional number, an object or an array.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    value_to_int(&Value::deserialize(d)?).map_err(D::Error::custom)
}

/// Like [`int`] but for non-negative quantities (bytes, counts); negative values are refused.
///
/// # Errors
/// As [`int`], plus negative numbers.
pub fn uint<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = value_to_int(&Value::deserialize(d)?).map_err(D::Error::custom)?;
    u64::try_from(v)
        .map_err(|_| D::Error::custom(format!("expected a non-negative integer, got {v}")))
}

fn value_to_int(v: &Value) -> Result<i64, String> {
    match v {
        Value::Null => Ok(0),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    // Integral and in range: the cast is exact.
                    .map(|f| {
                        #[allow(clippy::cast_possible_truncation)]
                        let i = f as i64;
                        i
                    })
            })
            .ok_or_else(|| format!("expected an integer, got {n}")),
        Value::String(s) if s.trim().is_empty() => Ok(0),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("expected an integer, got the string {s:?}")),
        Value::Bool(_) | Value::Array(_) | Value::Object(_) => {
            Err(format!("expected an integer, got {v}"))
        }
    }
}

/// A Unix time that should be in milliseconds. Values that can only be seconds (positive and
/// below 10^11, i.e. before 1973 if read as ms) are scaled to ms; 0 and negatives are kept.
///
/// # Errors
/// As [`int`].
pub fn unix_ms<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    int(d).map(normalise_unix_ms)
}

/// See [`unix_ms`].
pub fn normalise_unix_ms(v: i64) -> i64 {
    if v > 0 && v < 100_000_000_000 {
        v * 1000
    } else {
        v
    }
}

/// A string that may be `null` (read as empty) or a number (read as its decimal text).
///
/// # Errors
/// Objects, arrays and booleans.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(D::Error::custom(format!("expected a string, got {other}"))),
    }
}

/// A bool that may be `null` (read as `true`: 3x-ui treats a missing `enable` on old rows as
/// enabled).
///
/// # Errors
/// Anything but a bool or null.
pub fn bool_default_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(true))
}

/// A `Vec` that may be `null` (read as empty).
///
/// # Errors
/// When the elements do not parse as `T`.
pub fn vec_or_null<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A JSON document that is either nested (v3.1+) or serialised into a string (≤ v3.0.x);
/// `null`, `""` and a missing field read as `T::default()`.
///
/// # Errors
/// When the string is not JSON, or the document does not have `T`'s shape.
pub fn nested_or_string<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    nested_or_string_seed(d, PhantomData)
}

/// [`nested_or_string`] read through `seed` (for a document read selectively, such as
/// [`super::types::SettingsSeed`]).
///
/// # Errors
/// As [`nested_or_string`].
pub fn nested_or_string_seed<'de, D, S, T>(d: D, seed: S) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    S: for<'a> DeserializeSeed<'a, Value = T>,
    T: Default,
{
    d.deserialize_any(NestedOrString(seed))
}

/// Reads [`nested_or_string`]'s document straight into its type, without building a `Value`
/// first: an inbound's `settings` holds every client, and its `Value` tree (rebuilt from the
/// answer's) took 1.07 MiB at 2,000 clients on each read (heaptrack, `benches/bot_process.rs`).
struct NestedOrString<S>(S);

impl<'de, S, T> Visitor<'de> for NestedOrString<S>
where
    S: for<'a> DeserializeSeed<'a, Value = T>,
    T: Default,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON document, nested or serialised into a string")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<T, E> {
        if s.trim().is_empty() {
            return Ok(T::default());
        }
        let mut de = serde_json::Deserializer::from_str(s);
        self.0
            .deserialize(&mut de)
            .and_then(|v| de.end().map(|()| v))
            .map_err(|e| match e.classify() {
                // Well-formed JSON of another shape: the same message as a nested document's.
                Category::Data => E::custom(e),
                _ => E::custom(format!("embedded JSON string does not parse: {e}")),
            })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        self.0.deserialize(MapAccessDeserializer::new(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        self.0.deserialize(SeqAccessDeserializer::new(seq))
    }
}

/// Like [`nested_or_string`] for free-form documents: always yields a JSON **object** (`{}` for
/// `null`, `""` or a missing field).
///
/// # Errors
/// When the string is not JSON or the document is not an object.
pub fn object<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
    let v: Value = nested_or_string(d)?;
    match v {
        Value::Null => Ok(Value::Object(serde_json::Map::new())),
        Value::Object(_) => Ok(v),
        other => Err(D::Error::custom(format!(
            "expected a JSON object, got {other}"
        ))),
    }
}

/// `{}`: the default for fields read with [`object`].
pub fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "int")]
        n: i64,
        #[serde(default = "empty_object", deserialize_with = "object")]
        o: Value,
    }

    fn parse(s: &str) -> T {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn ints_accept_strings_empty_null_and_integral_floats() {
        assert_eq!(parse(r#"{"n":""}"#).n, 0);
        assert_eq!(parse(r#"{"n":null}"#).n, 0);
        assert_eq!(parse(r#"{"n":"123"}"#).n, 123);
        assert_eq!(parse(r#"{"n":5.36870912e10}"#).n, 53_687_091_200);
        assert_eq!(parse(r#"{"n":-86400000}"#).n, -86_400_000);
        assert!(serde_json::from_str::<T>(r#"{"n":"abc"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":1.5}"#).is_err());
    }

    #[test]
    fn objects_accept_strings_and_nesting() {
        assert_eq!(parse(r#"{"o":"{\"a\":1}"}"#).o["a"], 1);
        assert_eq!(parse(r#"{"o":{"a":2}}"#).o["a"], 2);
        assert!(parse(r#"{"o":null}"#).o.is_object());
        assert!(parse(r#"{"o":""}"#).o.is_object());
        assert!(parse("{}").o.is_object());
        assert!(serde_json::from_str::<T>(r#"{"o":"[1]"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"o":5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"o":[1]}"#).is_err());
        let broken = serde_json::from_str::<T>(r#"{"o":"{\"a\":"}"#).map(|t| t.o);
        assert!(
            broken
                .unwrap_err()
                .to_string()
                .contains("embedded JSON string does not parse")
        );
    }

    /// Typed documents, nested or in a string, read the same from text or from a `Value`.
    #[test]
    fn typed_documents_read_the_same_nested_in_a_string_or_from_a_value() {
        #[derive(Debug, Default, PartialEq, Deserialize)]
        struct Doc {
            #[serde(default)]
            clients: Vec<u32>,
            #[serde(flatten)]
            extra: serde_json::Map<String, Value>,
        }
        #[derive(Debug, Deserialize)]
        struct Outer {
            #[serde(default, deserialize_with = "nested_or_string")]
            settings: Doc,
        }
        let want = Doc {
            clients: vec![1, 2],
            extra: serde_json::Map::from_iter([("x".to_owned(), Value::from("y"))]),
        };
        for text in [
            r#"{"settings":{"clients":[1,2],"x":"y"}}"#,
            r#"{"settings":"{\"clients\":[1,2],\"x\":\"y\"}"}"#,
        ] {
            let direct: Outer = serde_json::from_str(text).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            let via_value: Outer = serde_json::from_value(value).unwrap();
            assert_eq!(
                (&direct.settings, &via_value.settings),
                (&want, &want),
                "{text}"
            );
        }
        for empty in [r#"{"settings":null}"#, r#"{"settings":" "}"#, "{}"] {
            let o: Outer = serde_json::from_str(empty).unwrap();
            assert_eq!(o.settings, Doc::default(), "{empty}");
        }
        let wrong = serde_json::from_str::<Outer>(r#"{"settings":"{\"clients\":\"no\"}"}"#);
        let wrong = wrong.unwrap_err().to_string();
        assert!(
            wrong.contains("invalid type") && !wrong.contains("does not parse"),
            "{wrong}"
        );
    }
}
