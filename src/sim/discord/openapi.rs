//! Lenient validation of request bodies against Discord's OpenAPI description
//! (vendored in `tests/fixtures/discord-api-spec/openapi.json`). A small JSON-Schema subset is checked (`$ref`,
//! `type`, `properties`, `required`, `items`, `oneOf`/`anyOf` as "at least one", `allOf`, `enum`,
//! `const`, length and item bounds); patterns and formats are not. Before validating, the two
//! known spec/Discord mismatches are normalised: permission bit sets sent as integer strings
//! (`allow`, `deny`, `permissions`) become integers, and numeric `attachments[].id` become strings.
//! Multipart requests are validated through their `payload_json`.

use serde_json::{Map, Value};

use super::log::LogEntry;

/// A loaded OpenAPI description.
#[derive(Debug)]
pub struct OpenApi {
    doc: Value,
}

/// A request body that does not match the spec.
#[derive(Debug, Clone)]
pub struct Finding {
    pub method: String,
    pub route: String,
    pub errors: Vec<String>,
}

impl OpenApi {
    /// Loads `openapi.json`.
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub fn load(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(OpenApi { doc })
    }

    /// The request-body schema of an operation; the route's parameter names need not match the
    /// spec's (`{token}` matches `{webhook_token}`).
    fn request_schema(&self, method: &str, route: &str) -> Option<&Value> {
        let want: Vec<&str> = route.trim_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        let (_, item) = paths.iter().find(|(p, _)| {
            let have: Vec<&str> = p.trim_matches('/').split('/').collect();
            have.len() == want.len()
                && have
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a == b || (a.starts_with('{') && b.starts_with('{')))
        })?;
        let content = &item[method.to_ascii_lowercase()]["requestBody"]["content"]["application/json"]
            ["schema"];
        (!content.is_null()).then_some(content)
    }

    /// Validates one request body; `None` when the spec has no JSON body for the operation.
    pub fn validate(&self, method: &str, route: &str, body: &Value) -> Option<Vec<String>> {
        let schema = self.request_schema(method, route)?;
        let mut body = body.clone();
        normalise(&mut body, "");
        let mut errors = Vec::new();
        self.check(schema, &body, "$", &mut errors, 0);
        Some(errors)
    }

    /// Validates every REST request with a body in a log.
    pub fn validate_log(&self, log: &[LogEntry]) -> (Vec<Finding>, usize) {
        let mut findings = Vec::new();
        let mut checked = 0;
        for e in log {
            let LogEntry::Rest {
                method,
                route,
                request,
                ..
            } = e
            else {
                continue;
            };
            if request.is_null() {
                continue;
            }
            match self.validate(method, route, request) {
                Some(errors) if errors.is_empty() => checked += 1,
                Some(errors) => findings.push(Finding {
                    method: method.clone(),
                    route: route.clone(),
                    errors,
                }),
                None => findings.push(Finding {
                    method: method.clone(),
                    route: route.clone(),
                    errors: vec!["no JSON request body in the spec for this operation".into()],
                }),
            }
        }
        (findings, checked)
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
            Some(path) => path.split('/').fold(&self.doc, |v, k| &v[k]),
            None => schema,
        }
    }

    fn passes(&self, schema: &Value, v: &Value, depth: usize) -> bool {
        let mut e = Vec::new();
        self.check(schema, v, "", &mut e, depth);
        e.is_empty()
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>, depth: usize) {
        if depth > 64 {
            return;
        }
        let schema = self.resolve(schema);
        if let Some(all) = schema["allOf"].as_array() {
            for s in all {
                self.check(s, v, at, errors, depth + 1);
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(any) = schema[key].as_array()
                && !any.iter().any(|s| self.passes(s, v, depth + 1))
            {
                errors.push(format!("{at}: matches none of {key} ({v})"));
                return;
            }
        }
        if let Some(c) = schema.get("const")
            && c != v
        {
            errors.push(format!("{at}: expected {c}, got {v}"));
        }
        if let Some(en) = schema["enum"].as_array()
            && !en.contains(v)
        {
            errors.push(format!("{at}: {v} not in enum"));
        }
        if !type_ok(&schema["type"], v) {
            errors.push(format!("{at}: {v} is not of type {}", schema["type"]));
            return;
        }
        bounds(schema, v, at, errors);
        if let Value::Object(o) = v {
            for r in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !o.contains_key(r) {
                    errors.push(format!("{at}: missing required {r}"));
                }
            }
            if let Some(props) = schema["properties"].as_object() {
                for (k, val) in o {
                    if let Some(ps) = props.get(k) {
                        self.check(ps, val, &format!("{at}.{k}"), errors, depth + 1);
                    } else if schema["additionalProperties"] == Value::Bool(false) {
                        errors.push(format!("{at}: unknown property {k}"));
                    }
                }
            }
        }
        if let (Value::Array(a), Some(items)) = (v, schema.get("items")) {
            for (i, x) in a.iter().enumerate() {
                self.check(items, x, &format!("{at}[{i}]"), errors, depth + 1);
            }
        }
    }
}

fn type_ok(t: &Value, v: &Value) -> bool {
    let one = |t: &str| match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    };
    match t {
        Value::String(s) => one(s),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(one),
        _ => true,
    }
}

fn bounds(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let n = match v {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(a) => Some(a.len()),
        _ => None,
    };
    if let Some(n) = n {
        let (min, max) = if v.is_string() {
            ("minLength", "maxLength")
        } else {
            ("minItems", "maxItems")
        };
        if schema[max].as_u64().is_some_and(|m| n as u64 > m)
            || schema[min].as_u64().is_some_and(|m| (n as u64) < m)
        {
            errors.push(format!("{at}: length {n} out of bounds"));
        }
    }
    if let Some(x) = v.as_f64()
        && (schema["minimum"].as_f64().is_some_and(|m| x < m)
            || schema["maximum"].as_f64().is_some_and(|m| x > m))
    {
        errors.push(format!("{at}: {x} out of range"));
    }
}

/// The two known mismatches between the spec and what Discord accepts.
fn normalise(v: &mut Value, key: &str) {
    match v {
        Value::String(s) if matches!(key, "allow" | "deny" | "permissions") => {
            if let Ok(n) = s.parse::<u64>() {
                *v = Value::from(n);
            }
        }
        Value::Object(o) => normalise_object(o, key),
        Value::Array(a) => {
            for x in a {
                normalise(x, key);
            }
        }
        _ => {}
    }
}

fn normalise_object(o: &mut Map<String, Value>, parent: &str) {
    if parent == "attachments"
        && let Some(id) = o.get_mut("id")
        && let Some(n) = id.as_u64()
    {
        *id = Value::String(n.to_string());
    }
    for (k, x) in o.iter_mut() {
        normalise(x, k);
    }
}
