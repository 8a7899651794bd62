use super::*;
use crate::domain::Role;
use std::collections::{HashMap, HashSet};

fn school() -> School {
    let mut users = HashMap::new();
    users.insert(
        "ava".to_string(),
        ExistingUser {
            guardians: Vec::new(),
            id: 10,
            display_name: "Ava Adams".into(),
            role: Role::Student,
            classes: HashSet::from([1]),
        },
    );
    School {
        users,
        classes: HashMap::from([("Biology 9A".to_string(), 1), ("History 9C".to_string(), 2)]),
    }
}

fn lines(errors: &[LineError]) -> Vec<u64> {
    errors.iter().map(|e| e.line).collect()
}

#[test]
fn a_good_file_reads_with_a_byte_order_mark_any_column_order_and_blank_lines() {
    let file = "\u{feff}Role,Username,Display Name,Classes\n\
                student,Ben.B,Ben Brown,Biology 9A; History 9C;Biology 9A\n\
                \n\
                teacher,rivera,Ms. Rivera,\n";
    let rows = read_rows(file.as_bytes()).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].username, "ben.b");
    assert_eq!(rows[0].classes, ["Biology 9A", "History 9C"]);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[1].line, 4);
    assert_eq!(rows[1].role, Role::Teacher);
    assert!(read_rows(TEMPLATE.as_bytes()).is_ok(), "the template reads");
}

#[test]
fn broken_files_are_refused_with_line_numbers() {
    let missing = read_rows(b"username,role\nava,student\n").unwrap_err();
    assert_eq!(lines(&missing), [1]);
    assert!(missing[0].message.contains("display_name"), "{missing:?}");
    let unknown = read_rows(b"username,display_name,role,email\n").unwrap_err();
    assert!(unknown[0].message.contains("email"));

    let mut latin1 = b"username,display_name,role\nava,Ava,student\njo,J".to_vec();
    latin1.extend([0xF6, 0x72, 0x67]); // "Jörg" in Latin-1
    latin1.extend(b",student\n");
    let encoding = read_rows(&latin1).unwrap_err();
    assert_eq!(lines(&encoding), [3]);
    assert!(encoding[0].message.contains("UTF-8"));

    let file = "username,display_name,role,classes\n\
                ava,Ava,student,\n\
                bad name!,X,student,\n\
                AVA,Ava again,student,\n\
                cy,Cy,pirate,\n\
                dee,Dee,admin,Biology 9A\n\
                eve,Eve\n";
    let errors = read_rows(file.as_bytes()).unwrap_err();
    assert_eq!(lines(&errors), [3, 4, 5, 6, 7]);
    assert!(errors[1].message.contains("line 2"), "{:?}", errors[1]);
    assert!(errors[4].message.contains("fields"));
}

#[test]
fn rows_plan_into_creates_updates_and_unchanged() {
    let file = "username,display_name,role,classes,password\n\
                ava,Ava Adams,student,Biology 9A,\n\
                ben,Ben Brown,student,History 9C,\n\
                cy,Cy Chen,student,,correct horse battery\n";
    let rows = read_rows(file.as_bytes()).unwrap();
    let plans = plan(rows, &school(), "admin").unwrap();
    assert_eq!(plans[0].action, RowAction::Unchanged);
    assert_eq!(plans[1].action, RowAction::Create);
    assert_eq!(plans[1].add_classes, ["History 9C"]);
    assert!(plans[1].generated_password);
    assert!(!plans[2].generated_password);
    assert_eq!(plans[2].password.as_deref(), Some("correct horse battery"));

    let renamed =
        read_rows(b"username,display_name,role,classes\nava,Ava B. Adams,student,History 9C\n")
            .unwrap();
    let plans = plan(renamed, &school(), "admin").unwrap();
    assert_eq!(plans[0].action, RowAction::Update);
    assert_eq!(
        plans[0].changes,
        ["name: Ava Adams → Ava B. Adams", "enrol in History 9C"]
    );
}

#[test]
fn unknown_classes_and_impossible_role_changes_are_errors_with_a_hint() {
    let file = "username,display_name,role,classes\n\
                ben,Ben,student,biology 9a\n\
                ava,Ava Adams,teacher,\n\
                zed,Zed,student,Latin\n\
                ana,Ana,student,Histroy 9C\n";
    let errors = plan(read_rows(file.as_bytes()).unwrap(), &school(), "admin").unwrap_err();
    assert_eq!(lines(&errors), [2, 3, 4, 5]);
    assert!(
        errors[3].message.contains("Did you mean 'History 9C'"),
        "{errors:?}"
    );
    assert!(
        errors[0].message.contains("Did you mean 'Biology 9A'"),
        "{errors:?}"
    );
    assert!(errors[1].message.contains("role"));
    assert!(errors[2].message.contains("Create it first"));
}

#[test]
fn the_same_plan_has_the_same_text() {
    let rows = || read_rows(b"username,display_name,role\nnew,New Person,student\n").unwrap();
    let a = plan_text(&plan(rows(), &school(), "admin").unwrap());
    let b = plan_text(&plan(rows(), &school(), "admin").unwrap());
    assert_eq!(a, b);
    let mut changed = school();
    changed.users.insert(
        "new".into(),
        ExistingUser {
            guardians: Vec::new(),
            id: 11,
            display_name: "New Person".into(),
            role: Role::Student,
            classes: HashSet::new(),
        },
    );
    assert_ne!(a, plan_text(&plan(rows(), &changed, "admin").unwrap()));
}

#[test]
fn guardian_emails_are_checked_and_planned_for_students_only() {
    let file = "username,display_name,role,guardian_emails\n\
                ava,Ava Adams,student,Mum@Example.org; dad@example.org\n\
                ben,Ben Brown,student,not-an-address\n\
                rivera,Ms. Rivera,teacher,x@example.org\n";
    let errors = read_rows(file.as_bytes()).unwrap_err();
    assert_eq!(lines(&errors), [3, 4]);
    let good = "username,display_name,role,guardian_emails\n\
                ava,Ava Adams,student,Mum@Example.org; dad@example.org\n";
    let rows = read_rows(good.as_bytes()).unwrap();
    assert_eq!(rows[0].guardians, ["dad@example.org", "mum@example.org"]);
    let plans = plan(rows.clone(), &school(), "admin").unwrap();
    assert_eq!(plans[0].action, RowAction::Update);
    assert_eq!(
        plans[0].changes,
        ["guardians: dad@example.org, mum@example.org"]
    );
    // The same addresses again change nothing.
    let mut known = school();
    known.users.get_mut("ava").unwrap().guardians = rows[0].guardians.clone();
    let again = plan(rows, &known, "admin").unwrap();
    assert_eq!(again[0].action, RowAction::Unchanged);
    assert_eq!(again[0].set_guardians, None);
}
