//! The console's renderings of results: aligned tables and the criteria matrix.

mod matrix;
mod table;

pub use self::matrix::criteria_matrix;
pub use self::table::Table;
