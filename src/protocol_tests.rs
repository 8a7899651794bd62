use super::*;
use crate::domain::{AttendanceStatus, MarkSource};

#[test]
fn channels_round_trip_through_text() {
    for channel in [Channel::Session(42), Channel::School, Channel::User(7)] {
        assert_eq!(Channel::parse(&channel.to_string()), Ok(channel));
        let json = serde_json::to_string(&channel).unwrap();
        assert_eq!(serde_json::from_str::<Channel>(&json).unwrap(), channel);
    }
    assert!(Channel::parse("session:x").is_err());
    assert!(Channel::parse("schools").is_err());
    assert!(Channel::parse("").is_err());
}

#[test]
fn events_are_tagged_json() {
    let event = Event {
        channel: Channel::Session(1),
        seq: 3,
        at_ms: 10,
        body: EventBody::SessionClosed {
            session_id: 1,
            marked_absent: 2,
            by_user_id: Some(9),
        },
    };
    let json = serde_json::to_value(&event).unwrap();
    assert_eq!(json["channel"], "session:1");
    assert_eq!(json["body"]["type"], "session_closed");
    assert_eq!(serde_json::from_value::<Event>(json).unwrap(), event);
}

#[test]
fn a_students_own_channel_hears_no_staff_device_or_id() {
    let by_teacher = |by_user_id| EventBody::AttendanceChanged {
        session_id: 1,
        student_id: 7,
        student_name: "Ann".into(),
        status: AttendanceStatus::Excused,
        previous: None,
        source: MarkSource::Teacher,
        version: 2,
        by_user_id: Some(by_user_id),
        device: Some("192.0.2.1 · Firefox".into()),
    };
    let body = by_teacher(3);
    for channel in body.channels() {
        let told = body.for_channel(channel);
        let EventBody::AttendanceChanged {
            device, by_user_id, ..
        } = &told
        else {
            unreachable!()
        };
        if channel == Channel::User(7) {
            assert_eq!((device, by_user_id), (&None, &None));
        } else {
            assert_eq!(told, body);
        }
    }
    // Their own check-in still says it was theirs (but not from where).
    let own = by_teacher(7).for_channel(Channel::User(7));
    assert!(matches!(
        own,
        EventBody::AttendanceChanged {
            by_user_id: Some(7),
            device: None,
            ..
        }
    ));
}

#[test]
fn held_check_ins_and_reviews_reach_the_session_and_the_student_without_the_reviewer() {
    use crate::domain::check_in_rules::ReviewDecision;
    let reviewed = EventBody::CheckInReviewed {
        session_id: 4,
        attempt_id: 9,
        student_id: 7,
        student_name: "Ava Adams".into(),
        decision: ReviewDecision::Accepted,
        by_user_id: Some(3),
    };
    assert_eq!(reviewed.channels(), [Channel::Session(4), Channel::User(7)]);
    assert_eq!(reviewed.for_channel(Channel::Session(4)), reviewed);
    assert!(matches!(
        reviewed.for_channel(Channel::User(7)),
        EventBody::CheckInReviewed {
            by_user_id: None,
            decision: ReviewDecision::Accepted,
            ..
        }
    ));
    let rules = EventBody::CheckInRulesChanged {
        session_id: 4,
        rules: crate::domain::CheckInRules::rotating(),
    };
    assert_eq!(rules.channels(), [Channel::Session(4)]);
    assert!(rules.changes_code() && !reviewed.changes_code());
}

#[test]
fn client_messages_parse_from_plain_json() {
    let subscribe: ClientMessage = serde_json::from_str(
        r#"{"type":"subscribe","channel":"session:4","since":{"epoch":"ab","seq":7}}"#,
    )
    .unwrap();
    assert_eq!(
        subscribe,
        ClientMessage::Subscribe {
            channel: Channel::Session(4),
            since: Some(StreamPosition {
                epoch: "ab".into(),
                seq: 7
            }),
        }
    );
    let fresh: ClientMessage =
        serde_json::from_str(r#"{"type":"subscribe","channel":"school","since":null}"#).unwrap();
    assert!(matches!(
        fresh,
        ClientMessage::Subscribe { since: None, .. }
    ));
    assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"shout"}"#).is_err());
}
