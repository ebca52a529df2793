//! What kind of run produced a results document: smoke or full, and the load profile.

use serde::{Deserialize, Serialize};

/// Whether a run is a functional check or the full load plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// One user, one iteration, no think times: "does the scenario work at all" (the default
    /// under `cargo test`).
    Smoke,
    /// Every step of the plan.
    Full,
}

impl Mode {
    /// The name used in the environment and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smoke => "smoke",
            Self::Full => "full",
        }
    }
}

/// How users start and stop within the load steps (the case study's three test kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Per step, all users start at once, run for `hold`, stop; `cooldown`; next step.
    Spike,
    /// Per step, users start one by one, evenly over `ramp_up`, then run for `hold`.
    Ramp,
    /// Every selected scenario runs at the same time, their thread counts stepping together.
    Stress,
}

impl ProfileKind {
    /// The name used in attributes, the CLI and results.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spike => "spike",
            Self::Ramp => "ramp",
            Self::Stress => "stress",
        }
    }

    /// Parses `spike`, `ramp` or `stress`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "spike" => Some(Self::Spike),
            "ramp" => Some(Self::Ramp),
            "stress" => Some(Self::Stress),
            _ => None,
        }
    }
}
