//! Criteria: the case study's criteria table as code, judged at every load step.

mod evaluate;
mod file;
mod model;
mod scoped;

pub use self::evaluate::{
    Capacity, Cell, CriteriaReport, CriterionRow, StepVerdict, Verdict, evaluate, evaluate_steps,
    judge, measure,
};
pub use self::file::{
    CriteriaFileError, FileCriterion, load_file, parse as parse_file, parse_scoped_value,
    parse_value,
};
pub use self::model::{
    AbortWindow, Criterion, CriterionSpec, CustomKind, Metric, Scope, ScopeSpec, Unit,
    format_measured, format_value,
};
