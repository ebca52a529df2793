//! The embedded demo target (work in progress).
