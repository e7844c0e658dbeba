//! Code whose panics answer bad input (a third-party decoder on a damaged file): the panic
//! becomes an error for the caller, and the panic hook's message is not printed for it, so
//! a dataset that skips damaged files does not write a message per file.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

/// Runs `work`, a panic in it coming back as `Err` without the hook's message. Other
/// panics reach the hook that was installed before, as they did.
pub fn catch_quietly<T>(work: impl FnOnce() -> T) -> std::thread::Result<T> {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    QUIET.with(|q| q.set(outer));
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_and_the_flag_is_restored() {
        assert_eq!(catch_quietly(|| 3).unwrap(), 3);
        let nested = catch_quietly(|| {
            let inner = catch_quietly(|| -> u8 { panic!("inner") });
            assert!(inner.is_err());
            QUIET.with(Cell::get)
        });
        assert!(nested.unwrap(), "still quiet after an inner call");
        assert!(catch_quietly(|| -> u8 { panic!("damaged") }).is_err());
        assert!(!QUIET.with(Cell::get));
    }
}
