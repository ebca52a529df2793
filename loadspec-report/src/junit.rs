//! JUnit XML: one test case per criterion × step, so CI shows which criterion failed at which
//! load.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use loadspec_results::criteria::{CriteriaReport, Verdict};
use loadspec_results::model::RunResults;

/// The JUnit XML of a judged run; warnings fail test cases when `fail_on_warn` is set.
pub fn junit_xml(results: &RunResults, report: &CriteriaReport, fail_on_warn: bool) -> String {
    let mut junit = Report::new(format!("loadspec {}", results.run.name));
    junit.set_time(Duration::from_secs_f64(results.run.duration_s.max(0.0)));
    let mut suites: Vec<TestSuite> = Vec::new();
    for row in &report.rows {
        let index = match suites.iter().position(|s| *s.name == *row.scenario) {
            Some(index) => index,
            None => {
                suites.push(TestSuite::new(row.scenario.clone()));
                suites.len() - 1
            }
        };
        for cell in &row.cells {
            let detail = format!(
                "{} at {} threads: measured {}, target {}, threshold {}",
                row.title, cell.users, cell.display, row.target_display, row.threshold_display
            );
            let failing =
                cell.verdict == Verdict::Fail || (fail_on_warn && cell.verdict == Verdict::Warn);
            let status = if failing {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status.set_message(format!("{}: {detail}", cell.verdict.as_str()));
                status.set_type(cell.verdict.as_str());
                status
            } else {
                TestCaseStatus::success()
            };
            let mut case = TestCase::new(
                format!(
                    "{} @ {} threads (step {})",
                    row.title,
                    cell.users,
                    cell.step + 1
                ),
                status,
            );
            case.set_classname(format!("loadspec.{}", row.scenario));
            case.set_system_out(format!("{}: {detail}", cell.verdict.as_str()));
            suites[index].add_test_case(case);
        }
    }
    junit.add_test_suites(suites);
    junit.to_string().unwrap_or_default()
}
