//! Reading an import file into rows and planning them against the school (server only).

use super::*;
use crate::domain::password::check_new_password;
use crate::domain::{parse_display_name, Username};
use std::collections::{HashMap, HashSet};

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

fn error(line: u64, message: impl Into<String>) -> LineError {
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
    let mut guardians = Vec::new();
    for part in get("guardian_emails")
        .split(';')
        .filter(|p| !p.trim().is_empty())
    {
        match crate::domain::notify::guardian_address(part) {
            Ok(address) if !guardians.contains(&address) => guardians.push(address),
            Ok(_) => {}
            Err(e) => errors.push(error(line, format!("Guardian e-mail: {e}"))),
        }
    }
    guardians.sort();
    if guardians.len() > 5 {
        errors.push(error(
            line,
            "A student can have at most 5 guardian addresses.",
        ));
    }
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

/// A person already in the school, as planning needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingUser {
    pub id: i64,
    pub display_name: String,
    pub role: Role,
    /// Classes they are enrolled in or teach, by class id.
    pub classes: HashSet<i64>,
    /// Their guardians' addresses, sorted.
    pub guardians: Vec<String>,
}

/// The school as the import sees it.
#[derive(Debug, Clone, Default)]
pub struct School {
    pub users: HashMap<String, ExistingUser>,
    /// Class ids by name.
    pub classes: HashMap<String, i64>,
}

/// Plans every row against the school; errors (unknown classes, role changes that cannot
/// happen) carry their line. `acting_admin` may not demote themselves.
pub fn plan(
    rows: Vec<ImportRow>,
    school: &School,
    acting_admin: &str,
) -> Result<Vec<RowPlan>, Vec<LineError>> {
    let mut errors = Vec::new();
    let mut plans = Vec::new();
    for row in rows {
        let mut class_ids = Vec::new();
        for name in &row.classes {
            match school.classes.get(name) {
                Some(id) => class_ids.push((*id, name.clone())),
                None => errors.push(error(row.line, unknown_class(name, school))),
            }
        }
        let existing = school.users.get(&row.username);
        let mut changes = Vec::new();
        if let Some(user) = existing {
            if user.display_name != row.display_name {
                changes.push(format!(
                    "name: {} → {}",
                    user.display_name, row.display_name
                ));
            }
            if user.role != row.role {
                if row.username == acting_admin {
                    errors.push(error(row.line, "You cannot change your own role."));
                } else if !user.classes.is_empty() {
                    errors.push(error(
                        row.line,
                        format!(
                            "{} is a {} in classes; a role change must be done by hand after removing them.",
                            row.username,
                            user.role.as_str()
                        ),
                    ));
                }
                changes.push(format!(
                    "role: {} → {}",
                    user.role.as_str(),
                    row.role.as_str()
                ));
            }
        }
        let member_of = existing.map(|u| &u.classes);
        let add_classes: Vec<String> = class_ids
            .into_iter()
            .filter(|(id, _)| !member_of.is_some_and(|c| c.contains(id)))
            .map(|(_, name)| name)
            .collect();
        let verb = if row.role == Role::Teacher {
            "teach"
        } else {
            "enrol in"
        };
        changes.extend(add_classes.iter().map(|c| format!("{verb} {c}")));
        let set_guardians = (!row.guardians.is_empty()
            && existing.is_none_or(|user| user.guardians != row.guardians))
        .then(|| row.guardians.clone());
        if let Some(guardians) = &set_guardians {
            changes.push(format!("guardians: {}", guardians.join(", ")));
        }
        let action = match (existing, changes.is_empty()) {
            (None, _) => RowAction::Create,
            (Some(_), true) => RowAction::Unchanged,
            (Some(_), false) => RowAction::Update,
        };
        plans.push(RowPlan {
            line: row.line,
            generated_password: existing.is_none() && row.password.is_none(),
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            action,
            changes,
            add_classes,
            set_guardians,
            password: row.password.filter(|_| existing.is_none()),
        });
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

fn unknown_class(name: &str, school: &School) -> String {
    let wanted = name.to_lowercase();
    // The nearest name by edits (a typo), or one that differs only in case or length.
    let close = school
        .classes
        .keys()
        .map(|known| (strsim::levenshtein(&known.to_lowercase(), &wanted), known))
        .filter(|(distance, known)| {
            *distance <= 2
                || known.to_lowercase().contains(&wanted)
                || wanted.contains(&known.to_lowercase())
        })
        .min();
    match close {
        Some((_, guess)) => {
            format!("There is no class called '{name}'. Did you mean '{guess}'?")
        }
        None => format!("There is no class called '{name}'. Create it first, then import."),
    }
}
