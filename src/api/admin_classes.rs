//! Administering classes (admins only): create, rename, archive and restore, choose the
//! teachers (several: co-teachers and substitutes run the class like its first teacher), enrol
//! and unenrol students. The list of all classes is `my_classes` as an admin.

use crate::domain::{ClassId, UserId};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMember {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassAdminView {
    pub id: ClassId,
    pub name: String,
    pub archived: bool,
    pub teachers: Vec<ClassMember>,
    pub students: Vec<ClassMember>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::domain::{CurrentUser, Role};
    use crate::error::AppResult;

    pub async fn admin() -> AppResult<CurrentUser> {
        crate::server::auth::require_role(&[Role::Admin], "Managing classes is for admins.").await
    }

    pub fn class_name(text: &str) -> AppResult<String> {
        let name = text.trim();
        if name.is_empty() || name.chars().count() > 80 || name.contains(';') {
            return Err(AppError::bad_request(
                "Give the class a name of 1 to 80 characters, without ';'.",
            ));
        }
        Ok(name.to_string())
    }

    pub async fn view(class_id: ClassId) -> AppResult<ClassAdminView> {
        let store = &crate::server::state().store;
        let (name, archived) = store
            .class_name(class_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class."))?;
        let (teachers, students) = store.class_members(class_id).await?;
        let member = |m: crate::server::store::Member| ClassMember {
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            active: m.active != 0,
        };
        Ok(ClassAdminView {
            id: class_id,
            name,
            archived,
            teachers: teachers.into_iter().map(member).collect(),
            students: students.into_iter().map(member).collect(),
        })
    }

    pub async fn check_teachers(teachers: &[UserId]) -> AppResult<()> {
        let wrong = crate::server::state().store.not_teachers(teachers).await?;
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(AppError::bad_request(
                "Only teacher accounts can teach a class.",
            ))
        }
    }
}

/// A class with its teachers and students.
#[server(endpoint = "class_admin", input = Json)]
pub async fn class_admin(class_id: ClassId) -> Result<ClassAdminView, AppError> {
    ssr::admin().await?;
    ssr::view(class_id).await
}

/// Creates a class taught by `teacher_ids` (may be empty for now). 409: the name is taken.
#[server(endpoint = "create_class", input = Json)]
pub async fn create_class(
    name: String,
    teacher_ids: Vec<UserId>,
) -> Result<ClassAdminView, AppError> {
    ssr::admin().await?;
    let name = ssr::class_name(&name)?;
    ssr::check_teachers(&teacher_ids).await?;
    let id = crate::server::state()
        .store
        .create_class(&name, &teacher_ids, &[])
        .await?;
    ssr::view(id).await
}

#[server(endpoint = "rename_class", input = Json)]
pub async fn rename_class(class_id: ClassId, name: String) -> Result<ClassAdminView, AppError> {
    ssr::admin().await?;
    let name = ssr::class_name(&name)?;
    crate::server::state()
        .store
        .rename_class(class_id, &name)
        .await?;
    ssr::view(class_id).await
}

/// Archives a class (hidden from its teachers, no sessions, its upcoming scheduled sessions
/// removed; its history stays) or restores it (its timetable schedules again).
#[server(endpoint = "set_class_archived", input = Json)]
pub async fn set_class_archived(
    class_id: ClassId,
    archived: bool,
) -> Result<ClassAdminView, AppError> {
    use crate::server::{now_ms, state};

    ssr::admin().await?;
    let state = state();
    state.store.set_class_archived(class_id, archived).await?;
    state
        .store
        .reschedule(Some(class_id), &state.config.time_zone, now_ms())
        .await?;
    ssr::view(class_id).await
}

/// Makes `teacher_ids` exactly the class's teachers.
#[server(endpoint = "set_class_teachers", input = Json)]
pub async fn set_class_teachers(
    class_id: ClassId,
    teacher_ids: Vec<UserId>,
) -> Result<ClassAdminView, AppError> {
    ssr::admin().await?;
    ssr::check_teachers(&teacher_ids).await?;
    let store = &crate::server::state().store;
    store
        .class_name(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    store.set_class_teachers(class_id, &teacher_ids).await?;
    ssr::view(class_id).await
}

/// Enrols students by username (all or nothing; already enrolled ones are fine).
#[server(endpoint = "enrol_students", input = Json)]
pub async fn enrol_students(
    class_id: ClassId,
    usernames: Vec<String>,
) -> Result<ClassAdminView, AppError> {
    use crate::domain::Username;

    ssr::admin().await?;
    if usernames.is_empty() || usernames.len() > 1000 {
        return Err(AppError::bad_request("Name between 1 and 1000 students."));
    }
    let names = usernames
        .iter()
        .map(|name| Username::parse(name).map(|u| u.as_str().to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::bad_request)?;
    let store = &crate::server::state().store;
    store
        .class_name(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    store.enrol(class_id, &names).await?;
    ssr::view(class_id).await
}

/// Takes a student off the class; their past marks stay.
#[server(endpoint = "unenrol_student", input = Json)]
pub async fn unenrol_student(
    class_id: ClassId,
    student_id: UserId,
) -> Result<ClassAdminView, AppError> {
    ssr::admin().await?;
    crate::server::state()
        .store
        .unenrol(class_id, student_id)
        .await?;
    ssr::view(class_id).await
}
