//! Headcounts by status and the attendance rate.

use super::AttendanceStatus;
use serde::{Deserialize, Serialize};

/// Headcount of a session by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceCounts {
    pub present: u32,
    pub late: u32,
    pub excused: u32,
    pub absent: u32,
    pub not_marked: u32,
}

impl AttendanceCounts {
    pub fn from_statuses(statuses: impl IntoIterator<Item = Option<AttendanceStatus>>) -> Self {
        let mut counts = AttendanceCounts::default();
        for status in statuses {
            counts.add(status);
        }
        counts
    }

    pub fn add(&mut self, status: Option<AttendanceStatus>) {
        match status {
            Some(AttendanceStatus::Present) => self.present += 1,
            Some(AttendanceStatus::Late) => self.late += 1,
            Some(AttendanceStatus::Excused) => self.excused += 1,
            Some(AttendanceStatus::Absent) => self.absent += 1,
            None => self.not_marked += 1,
        }
    }

    /// Undoes an [`add`](Self::add) (a student moving from one status to another).
    pub fn remove(&mut self, status: Option<AttendanceStatus>) {
        let slot = match status {
            Some(AttendanceStatus::Present) => &mut self.present,
            Some(AttendanceStatus::Late) => &mut self.late,
            Some(AttendanceStatus::Excused) => &mut self.excused,
            Some(AttendanceStatus::Absent) => &mut self.absent,
            None => &mut self.not_marked,
        };
        *slot = slot.saturating_sub(1);
    }

    /// Applies one student's change from `previous` to `status`.
    pub fn change(&mut self, previous: Option<AttendanceStatus>, status: Option<AttendanceStatus>) {
        self.remove(previous);
        self.add(status);
    }

    pub fn merge(&mut self, other: AttendanceCounts) {
        self.present += other.present;
        self.late += other.late;
        self.excused += other.excused;
        self.absent += other.absent;
        self.not_marked += other.not_marked;
    }

    pub fn total(&self) -> u32 {
        self.present + self.late + self.excused + self.absent + self.not_marked
    }

    /// Share of expected students who came (present or late). Excused students are not expected,
    /// so they leave the denominator. `None` when nobody is expected.
    pub fn attendance_rate(&self) -> Option<f64> {
        let expected = self.total() - self.excused;
        (expected > 0).then(|| (self.present + self.late) as f64 / expected as f64)
    }

    /// The rate as a whole percentage for display, "–" when undefined.
    pub fn rate_label(&self) -> String {
        match self.attendance_rate() {
            Some(rate) => format!("{:.0}%", rate * 100.0),
            None => "–".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rate() {
        use AttendanceStatus::*;
        let counts = AttendanceCounts::from_statuses([
            Some(Present),
            Some(Present),
            Some(Late),
            Some(Excused),
            Some(Absent),
            None,
        ]);
        assert_eq!(counts.total(), 6);
        assert_eq!(counts.not_marked, 1);
        // 3 came of 5 expected (the excused student is not expected).
        assert_eq!(counts.attendance_rate(), Some(0.6));
        assert_eq!(counts.rate_label(), "60%");
        assert_eq!(AttendanceCounts::default().attendance_rate(), None);
        assert_eq!(AttendanceCounts::default().rate_label(), "–");

        let mut moving = counts;
        moving.change(None, Some(Late));
        moving.change(Some(Present), Some(Excused));
        assert_eq!(
            (
                moving.not_marked,
                moving.late,
                moving.present,
                moving.excused
            ),
            (0, 2, 1, 2)
        );
        assert_eq!(moving.total(), counts.total());
    }
}
