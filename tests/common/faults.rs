//! For the tests that kill kassa at a fault point (`KASSA_FAULT`, see
//! src/faults.rs): only a build with the cargo feature `faults` has them.
//! Without it the variable is ignored, so such a test would prove nothing
//! (or wait forever for a crash); it fails at once and says how to run it.

/// Fails the calling test: this build has no fault points.
#[cfg(not(feature = "faults"))]
pub fn required() {
    panic!(
        "this test kills kassa at a fault point (KASSA_FAULT), which only a build \
         with the `faults` feature has: run `cargo test --features faults`"
    );
}

/// Built with the `faults` feature: the test may go on.
#[cfg(feature = "faults")]
pub fn required() {}
