//! Reading an import file into rows, every problem with its line (server only).

use super::*;
use crate::domain::password::check_new_password;
use crate::domain::{parse_display_name, Username};
use std::collections::HashMap;

const REQUIRED: [&str; 3] = ["username", "display_name", "role"];
const OPTIONAL: [&str; 3] = ["classes", "password", "guardian_emails"];

/// One person as the file states them.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub line: u64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub classes: Vec<String>,
    pub password: Option<String>,
    /// Guardians' e-mail addresses (`;`-separated in the file); empty leaves them as they are.
    pub guardians: Vec<String>,
}

pub(super) fn error(line: u64, message: impl Into<String>) -> LineError {
    LineError {
        line,
        message: message.into(),
    }
}

/// Reads the file. Every problem is reported (not just the first), each with its line.
pub fn read_rows(bytes: &[u8]) -> Result<Vec<ImportRow>, Vec<LineError>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(e)) => {
            return Err(vec![error(
                1,
                format!("The first line cannot be read: {e}."),
            )])
        }
        None => return Err(vec![error(1, "The file is empty.")]),
    };
    let columns = read_header(&header)?;
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut lines = LineCounter {
        bytes,
        byte: 0,
        line: 1,
    };
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                errors.push(error(
                    line,
                    format!("This line cannot be read as CSV: {e}."),
                ));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        if record
            .iter()
            .all(|field| field.iter().all(u8::is_ascii_whitespace))
        {
            continue; // blank lines (Excel adds them) are not rows
        }
        if rows.len() + errors.len() >= MAX_ROWS {
            errors.push(error(
                line,
                format!("A file may have at most {MAX_ROWS} rows; split it."),
            ));
            break;
        }
        if record.len() != columns.len() {
            errors.push(error(
                line,
                format!(
                    "This line has {} fields; the header has {}.",
                    record.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let mut fields = HashMap::new();
        let mut text_ok = true;
        for (name, raw) in columns.iter().zip(record.iter()) {
            match std::str::from_utf8(raw) {
                Ok(text) => {
                    fields.insert(name.as_str(), text.trim());
                }
                Err(_) => text_ok = false,
            }
        }
        if !text_ok {
            errors.push(error(
                line,
                "This line is not UTF-8 text; save the file as \"CSV UTF-8\" and try again.",
            ));
            continue;
        }
        match read_row(line, &fields) {
            Ok(row) => match seen.get(&row.username) {
                Some(first) => errors.push(error(
                    line,
                    format!("The username {} is already on line {first}.", row.username),
                )),
                None => {
                    seen.insert(row.username.clone(), line);
                    rows.push(row);
                }
            },
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// The line a byte offset is on (the csv crate's own count skips blank lines, which
/// people do not). Offsets only grow, so counting resumes where it stopped.
struct LineCounter<'a> {
    bytes: &'a [u8],
    byte: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn at(&mut self, byte: u64) -> u64 {
        // A record's reported start may be the blank lines before it.
        let mut byte = (byte as usize).min(self.bytes.len());
        while self
            .bytes
            .get(byte)
            .is_some_and(|b| matches!(b, b'\n' | b'\r'))
        {
            byte += 1;
        }
        if byte > self.byte {
            self.line += self.bytes[self.byte..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.byte = byte;
        }
        self.line
    }
}

fn read_header(header: &csv::ByteRecord) -> Result<Vec<String>, Vec<LineError>> {
    let expected = "username,display_name,role,classes,password,guardian_emails";
    let mut columns = Vec::new();
    for raw in header.iter() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| vec![error(1, "The first line is not UTF-8 text.")])?
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-'], "_");
        if !REQUIRED.contains(&name.as_str()) && !OPTIONAL.contains(&name.as_str()) {
            return Err(vec![error(
                1,
                format!("Unknown column '{name}'. The columns are: {expected}."),
            )]);
        }
        if columns.contains(&name) {
            return Err(vec![error(
                1,
                format!("The column '{name}' appears twice."),
            )]);
        }
        columns.push(name);
    }
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|name| !columns.iter().any(|c| c == name))
        .collect();
    if !missing.is_empty() {
        return Err(vec![error(
            1,
            format!(
                "The file has no {} column. The first line must name the columns: {expected}.",
                missing.join(", ")
            ),
        )]);
    }
    Ok(columns)
}

fn read_row(line: u64, fields: &HashMap<&str, &str>) -> Result<ImportRow, Vec<LineError>> {
    let get = |name: &str| fields.get(name).copied().unwrap_or("");
    let mut errors = Vec::new();
    let username = Username::parse(get("username"))
        .map_err(|e| errors.push(error(line, format!("Username: {e}"))))
        .ok();
    let display_name = parse_display_name(get("display_name"))
        .map_err(|e| errors.push(error(line, format!("Display name: {e}"))))
        .ok();
    let role = Role::parse(&get("role").to_ascii_lowercase());
    if role.is_none() {
        errors.push(error(
            line,
            format!(
                "The role '{}' must be student, teacher or admin.",
                get("role")
            ),
        ));
    }
    let mut classes: Vec<String> = Vec::new();
    for class in get("classes")
        .split(';')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if !classes.iter().any(|c| c == class) {
            classes.push(class.to_string());
        }
    }
    if role == Some(Role::Admin) && !classes.is_empty() {
        errors.push(error(
            line,
            "An admin is not in classes; leave 'classes' empty.",
        ));
    }
    let guardians = crate::domain::notify::guardian_addresses(get("guardian_emails"))
        .unwrap_or_else(|problems| {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| error(line, format!("Guardian e-mail: {p}"))),
            );
            Vec::new()
        });
    if !guardians.is_empty() && role.is_some_and(|role| role != Role::Student) {
        errors.push(error(
            line,
            "Only students have guardians; leave 'guardian_emails' empty.",
        ));
    }
    let password = Some(get("password"))
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    if let (Some(password), Some(username)) = (&password, &username) {
        if let Err(e) = check_new_password(username.as_str(), password) {
            errors.push(error(line, format!("Password: {e}")));
        }
    }
    match (username, display_name, role, errors.is_empty()) {
        (Some(username), Some(display_name), Some(role), true) => Ok(ImportRow {
            line,
            username: username.as_str().to_string(),
            display_name,
            role,
            classes,
            password,
            guardians,
        }),
        _ => Err(errors),
    }
}
