//! Discord's error bodies (`{code, message, errors}`) and the platform limits the emulator
//! enforces on message-like bodies: content 2000, 10 embeds / 6000 characters with per-field
//! limits, 5 action rows × 5 buttons or one select with ≤25 options, `custom_id` 1–100, button
//! labels 80, and 10 MiB per file.

use serde_json::{Value, json};

use super::http::Response;

/// Default per-file upload limit (10 MiB); interactions report it as `attachment_size_limit`.
pub const ATTACHMENT_SIZE_LIMIT: usize = 10 * 1024 * 1024;

/// A Discord API error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: u16,
    pub code: u32,
    pub message: String,
    pub errors: Option<Value>,
}

impl ApiError {
    pub fn new(status: u16, code: u32, message: &str) -> Self {
        ApiError {
            status,
            code,
            message: message.to_owned(),
            errors: None,
        }
    }

    pub fn unknown_channel() -> Self {
        Self::new(404, 10003, "Unknown Channel")
    }

    pub fn unknown_message() -> Self {
        Self::new(404, 10008, "Unknown Message")
    }

    pub fn missing_permissions() -> Self {
        Self::new(403, 50013, "Missing Permissions")
    }

    /// 50035 with one field error at a dotted path (e.g. `embeds.0.title`).
    pub fn invalid_form(path: &str, code: &str, message: &str) -> Self {
        let mut errors = json!({"_errors": [{"code": code, "message": message}]});
        for key in path.rsplit('.') {
            errors = json!({ key: errors });
        }
        ApiError {
            status: 400,
            code: 50035,
            message: "Invalid Form Body".into(),
            errors: Some(errors),
        }
    }

    pub fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if let Some(e) = self.errors {
            body["errors"] = e;
        }
        Response::json(self.status, &body)
    }
}

fn len(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn max_len(v: &Value, max: usize, path: &str) -> Result<usize, ApiError> {
    let n = len(v);
    if n > max {
        return Err(ApiError::invalid_form(
            path,
            "BASE_TYPE_MAX_LENGTH",
            &format!("Must be {max} or fewer in length."),
        ));
    }
    Ok(n)
}

fn check_embeds(embeds: &[Value]) -> Result<(), ApiError> {
    if embeds.len() > 10 {
        return Err(ApiError::invalid_form(
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        ));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        total += max_len(&e["title"], 256, &format!("embeds.{i}.title"))?;
        total += max_len(&e["description"], 4096, &format!("embeds.{i}.description"))?;
        total += max_len(
            &e["footer"]["text"],
            2048,
            &format!("embeds.{i}.footer.text"),
        )?;
        total += max_len(
            &e["author"]["name"],
            256,
            &format!("embeds.{i}.author.name"),
        )?;
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        if fields.len() > 25 {
            return Err(ApiError::invalid_form(
                &format!("embeds.{i}.fields"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            total += max_len(&f["name"], 256, &format!("embeds.{i}.fields.{j}.name"))?;
            total += max_len(&f["value"], 1024, &format!("embeds.{i}.fields.{j}.value"))?;
        }
    }
    if total > 6000 {
        return Err(ApiError::invalid_form(
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    Ok(())
}

fn check_custom_id(c: &Value, path: &str) -> Result<(), ApiError> {
    let n = len(&c["custom_id"]);
    if c.get("custom_id").is_some() && !(1..=100).contains(&n) {
        return Err(ApiError::invalid_form(
            &format!("{path}.custom_id"),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    Ok(())
}

fn check_components(rows: &[Value]) -> Result<(), ApiError> {
    if rows.len() > 5 {
        return Err(ApiError::invalid_form(
            "components",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        ));
    }
    for (i, row) in rows.iter().enumerate() {
        let items = row["components"].as_array().cloned().unwrap_or_default();
        let selects = items
            .iter()
            .filter(|c| c["type"].as_u64().is_some_and(|t| t != 2))
            .count();
        if items.len() > 5 || (selects > 0 && items.len() > 1) {
            return Err(ApiError::invalid_form(
                &format!("components.{i}.components"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            ));
        }
        for (j, c) in items.iter().enumerate() {
            let path = format!("components.{i}.components.{j}");
            check_custom_id(c, &path)?;
            max_len(&c["label"], 80, &format!("{path}.label"))?;
            let options = c["options"].as_array().map_or(0, Vec::len);
            if options > 25 {
                return Err(ApiError::invalid_form(
                    &format!("{path}.options"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.",
                ));
            }
        }
    }
    Ok(())
}

/// Checks a message-like body (message create/edit, callback data, followup).
///
/// # Errors
/// The 50035 Discord would answer.
pub fn check_message(body: &Value) -> Result<(), ApiError> {
    max_len(&body["content"], 2000, "content")?;
    check_embeds(body["embeds"].as_array().map_or(&[], Vec::as_slice))?;
    check_components(body["components"].as_array().map_or(&[], Vec::as_slice))
}

/// Checks a modal (callback type 9) body.
///
/// # Errors
/// The 50035 Discord would answer.
pub fn check_modal(data: &Value) -> Result<(), ApiError> {
    check_custom_id(data, "data")?;
    max_len(&data["title"], 45, "data.title")?;
    let rows = data["components"].as_array().map_or(0, Vec::len);
    if !(1..=5).contains(&rows) {
        return Err(ApiError::invalid_form(
            "data.components",
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 5 in length.",
        ));
    }
    Ok(())
}

/// 40005 when a file is over the per-file limit.
///
/// # Errors
/// The 413 Discord would answer.
pub fn check_file_size(size: usize) -> Result<(), ApiError> {
    if size > ATTACHMENT_SIZE_LIMIT {
        return Err(ApiError::new(413, 40005, "Request entity too large"));
    }
    Ok(())
}

fn check_name_and_description(c: &Value, path: &str, chat_input: bool) -> Result<(), ApiError> {
    let name = c["name"].as_str().unwrap_or_default();
    let n = name.chars().count();
    let name_ok = (1..=32).contains(&n)
        && (!chat_input
            || name
                .chars()
                .all(|ch| ch == '-' || ch == '_' || (ch.is_alphanumeric() && !ch.is_uppercase())));
    if !name_ok {
        return Err(ApiError::invalid_form(
            &format!("{path}.name"),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        ));
    }
    let d = len(&c["description"]);
    if chat_input && !(1..=100).contains(&d) {
        return Err(ApiError::invalid_form(
            &format!("{path}.description"),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 100 in length.",
        ));
    }
    Ok(())
}

fn check_options(options: &[Value], path: &str) -> Result<(), ApiError> {
    if options.len() > 25 {
        return Err(ApiError::invalid_form(
            &format!("{path}.options"),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
    let mut seen_optional = false;
    for (i, o) in options.iter().enumerate() {
        let p = format!("{path}.options.{i}");
        check_name_and_description(o, &p, true)?;
        if o["choices"].as_array().is_some_and(|c| c.len() > 25) {
            return Err(ApiError::invalid_form(
                &format!("{p}.choices"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            ));
        }
        let kind = o["type"].as_u64().unwrap_or(0);
        if kind == 1 || kind == 2 {
            check_options(o["options"].as_array().map_or(&[], Vec::as_slice), &p)?;
        } else if o["required"].as_bool() == Some(true) {
            if seen_optional {
                return Err(ApiError::invalid_form(
                    &format!("{p}.required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                ));
            }
        } else {
            seen_optional = true;
        }
    }
    Ok(())
}

/// Checks a bulk command registration like Discord: at most 100 commands, names 1–32 lower-case
/// characters, descriptions 1–100 for slash commands, ≤25 options and choices, required options
/// first, no duplicate names.
///
/// # Errors
/// The 50035 Discord would answer.
pub fn check_commands(list: &[Value]) -> Result<(), ApiError> {
    if list.len() > 100 {
        return Err(ApiError::new(
            400,
            30032,
            "Maximum number of application commands reached (100)",
        ));
    }
    let mut names = std::collections::HashSet::new();
    for (i, c) in list.iter().enumerate() {
        let chat_input = c["type"].as_u64().unwrap_or(1) == 1;
        check_name_and_description(c, &i.to_string(), chat_input)?;
        if !names.insert((
            c["type"].as_u64().unwrap_or(1),
            c["name"].as_str().unwrap_or_default().to_owned(),
        )) {
            return Err(ApiError::invalid_form(
                &format!("{i}.name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            ));
        }
        check_options(
            c["options"].as_array().map_or(&[], Vec::as_slice),
            &i.to_string(),
        )?;
    }
    Ok(())
}
