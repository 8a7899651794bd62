use super::*;

fn throttle(free: u32, per_minute: u32) -> LoginThrottle {
    LoginThrottle::new(LoginPolicy {
        free_failures: free,
        max_backoff: Duration::from_secs(60),
        address_failures_per_minute: per_minute,
    })
}

fn fail(t: &LoginThrottle, account: &str, address: &str, now: Instant) {
    t.begin(account, address, now).unwrap();
    t.finish(account, address, Outcome::Failed, now);
}

const SEC: Duration = Duration::from_secs(1);

#[test]
fn an_account_waits_ever_longer_after_its_free_failures() {
    let t = throttle(3, 1000);
    let start = Instant::now();
    for i in 0..3 {
        fail(&t, "ann", &format!("10.0.0.{i}"), start);
    }
    // The third failure was the last free one; the fourth starts the back-off.
    fail(&t, "ann", "10.0.0.9", start);
    assert_eq!(
        t.begin("ann", "10.0.0.77", start),
        Err(Refusal::Account(SEC))
    );
    let mut now = start + SEC;
    let mut waits = Vec::new();
    for _ in 0..8 {
        fail(&t, "ann", "10.0.0.9", now);
        let wait = t.begin("ann", "10.0.0.9", now).unwrap_err().wait();
        waits.push(wait.as_secs());
        now += wait;
    }
    assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
    // Someone else from the same address is not held up.
    t.begin("bob", "10.0.0.9", now).unwrap();
    // A success (after the wait) forgets the failures.
    t.begin("ann", "10.0.0.9", now).unwrap();
    t.finish("ann", "10.0.0.9", Outcome::Succeeded, now);
    for _ in 0..3 {
        fail(&t, "ann", "10.0.0.9", now);
    }
    t.begin("ann", "10.0.0.9", now).unwrap();
}

#[test]
fn successes_never_count() {
    let t = throttle(1, 2);
    let now = Instant::now();
    for n in 0..1000 {
        let account = format!("student{n}");
        t.begin(&account, "198.51.100.1", now).unwrap();
        t.finish(&account, "198.51.100.1", Outcome::Succeeded, now);
    }
    assert_eq!(t.tracked(), (0, 0));
}

#[test]
fn an_address_has_a_budget_of_failures_per_minute() {
    let t = throttle(100, 60);
    let now = Instant::now();
    for n in 0..60 {
        fail(&t, &format!("guess{n}"), "203.0.113.5", now);
    }
    let refused = t.begin("anyone", "203.0.113.5", now).unwrap_err();
    assert_eq!(refused, Refusal::Address(SEC));
    assert!(refused.message().contains("from your network"));
    t.begin("anyone", "203.0.113.6", now).unwrap();
    // One failure's worth comes back every second.
    t.begin("anyone", "203.0.113.5", now + SEC).unwrap();
}

#[test]
fn past_the_free_failures_only_one_guess_is_checked_at_a_time() {
    let t = throttle(2, 1000);
    let now = Instant::now();
    t.begin("ann", "a", now).unwrap();
    t.begin("ann", "b", now).unwrap();
    // Two in flight could be the two free failures: a third must wait for them.
    assert!(t.begin("ann", "c", now).is_err());
    t.finish("ann", "a", Outcome::Abandoned, now);
    t.finish("ann", "b", Outcome::Abandoned, now);
    assert_eq!(t.tracked(), (0, 0));
    t.begin("ann", "c", now).unwrap();
}

#[test]
fn quiet_entries_are_forgotten() {
    let t = throttle(1, 60);
    let now = Instant::now();
    fail(&t, "ann", "a", now);
    fail(&t, "ann", "a", now + SEC);
    assert_eq!(t.tracked(), (1, 1));
    t.forget_idle(now + Duration::from_millis(1500));
    assert_eq!(t.tracked(), (1, 1));
    t.forget_idle(now + Duration::from_secs(3700));
    assert_eq!(t.tracked(), (0, 0));
}

#[test]
fn waits_read_as_a_person_would_say_them() {
    assert!(Refusal::Account(Duration::from_millis(200))
        .message()
        .contains("wait 1 second and"));
    assert!(Refusal::Account(Duration::from_millis(4500))
        .message()
        .contains("wait 5 seconds"));
    assert!(Refusal::Account(Duration::from_secs(900))
        .message()
        .contains("wait 15 minutes"));
    assert_eq!(wait_seconds(Duration::from_millis(1001)), 2);
}
