//! Kill points for the crash tests: `KASSA_FAULT=<point>[:<n>]` kills the
//! process the n-th time (first by default) it reaches that point, to prove
//! that a crash at any step loses nothing and doubles nothing
//! (tests/crash.rs, tests/queue_crash.rs, tests/terminal.rs,
//! tests/access.rs).
//!
//! Only with the cargo feature `faults` (`cargo test --features faults`).
//! Without it, the build a till runs, [`Faults`] is a zero-size no-op: the
//! environment is not read and [`Faults::crash_if`] compiles to nothing,
//! so no variable can make a till abort. [`FaultPoint`] exists either way,
//! so the places that name a point are the same in both builds.

/// Where a test may kill the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPoint {
    BeforeSave,
    AfterSave,
    BeforeClose,
    AfterClose,
    BeforePrint,
    AfterPrint,
    /// Around recording a queue entry's outcome (after the server answered).
    BeforeDequeue,
    AfterDequeue,
    /// Around sending a loyalty request (in the loyalty worker).
    BeforeSend,
    AfterSend,
    /// A bug in the cashier's loop: a panic (not an abort) at the n-th key.
    PanicOnKey,
}

#[cfg(feature = "faults")]
impl FaultPoint {
    /// The point and on which hit to crash, from `KASSA_FAULT`.
    pub fn from_env() -> Option<(FaultPoint, u32)> {
        let value = std::env::var("KASSA_FAULT").ok()?;
        let (name, hit) = value.split_once(':').unwrap_or((value.as_str(), "1"));
        let point = match name {
            "before_save" => FaultPoint::BeforeSave,
            "after_save" => FaultPoint::AfterSave,
            "before_close" => FaultPoint::BeforeClose,
            "after_close" => FaultPoint::AfterClose,
            "before_print" => FaultPoint::BeforePrint,
            "after_print" => FaultPoint::AfterPrint,
            "before_dequeue" => FaultPoint::BeforeDequeue,
            "after_dequeue" => FaultPoint::AfterDequeue,
            "before_send" => FaultPoint::BeforeSend,
            "after_send" => FaultPoint::AfterSend,
            "panic_on_key" => FaultPoint::PanicOnKey,
            _ => return None,
        };
        Some((point, hit.parse().ok()?))
    }
}

/// The armed fault point and how many more hits before it fires.
#[cfg(feature = "faults")]
pub struct Faults(Option<(FaultPoint, u32)>);

/// Built without the `faults` feature: nothing is ever armed.
#[cfg(not(feature = "faults"))]
pub struct Faults;

#[cfg(feature = "faults")]
impl Faults {
    /// The point armed by `KASSA_FAULT`, if any.
    pub fn from_env() -> Faults {
        Faults(FaultPoint::from_env())
    }

    /// Dies here if this is the armed point's n-th hit.
    pub fn crash_if(&mut self, point: FaultPoint) {
        let Some((armed, hits_left)) = self.0.as_mut() else { return };
        if *armed != point {
            return;
        }
        *hits_left = hits_left.saturating_sub(1);
        if *hits_left == 0 {
            if point == FaultPoint::PanicOnKey {
                panic!("KASSA_FAULT: a panic in the cashier's loop, as a bug would");
            }
            // The test asked for a crash here: die like a power cut, no unwinding.
            std::process::abort();
        }
    }
}

#[cfg(not(feature = "faults"))]
impl Faults {
    /// Nothing armed; `KASSA_FAULT` is not read.
    #[inline(always)]
    pub fn from_env() -> Faults {
        Faults
    }

    /// Nothing: no point is ever armed in this build.
    #[inline(always)]
    pub fn crash_if(&mut self, _point: FaultPoint) {}
}
