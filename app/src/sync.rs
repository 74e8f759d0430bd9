//! The daemon's one lock policy: a std lock poisoned by a panic is recovered, never passed on.
//!
//! A panic while a guard is held (a bug in one request, one camera's pipeline) must not turn
//! every later caller into a panic too, which would stop recording for all cameras: the
//! guard is taken back, the poisoning is logged and cleared, and the daemon goes on. Every
//! critical section keeps its data consistent between statements (no multi-step invariant
//! spans a call that can panic), so the data behind a recovered guard is usable. Code
//! uses `locked()`, `read_locked()` and `write_locked()`; never `lock().unwrap()`.

use std::sync::{LockResult, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The guard of a lock result: a poisoned one is logged, its poisoning cleared, and its
/// guard taken back.
fn recover<T: ?Sized, G>(r: LockResult<G>, clear: impl FnOnce()) -> G {
    r.unwrap_or_else(|e| {
        tracing::error!(
            lock = std::any::type_name::<T>(),
            "a lock was poisoned by a panic elsewhere; recovered (see the panic above)"
        );
        clear();
        e.into_inner()
    })
}

pub trait LockExt<T: ?Sized> {
    /// The guard, recovered if a panic poisoned the lock.
    fn locked(&self) -> MutexGuard<'_, T>;
}

impl<T: ?Sized> LockExt<T> for Mutex<T> {
    fn locked(&self) -> MutexGuard<'_, T> {
        recover::<T, _>(self.lock(), || self.clear_poison())
    }
}

pub trait RwLockExt<T: ?Sized> {
    fn read_locked(&self) -> RwLockReadGuard<'_, T>;
    fn write_locked(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T: ?Sized> RwLockExt<T> for RwLock<T> {
    fn read_locked(&self) -> RwLockReadGuard<'_, T> {
        recover::<T, _>(self.read(), || self.clear_poison())
    }
    fn write_locked(&self) -> RwLockWriteGuard<'_, T> {
        recover::<T, _>(self.write(), || self.clear_poison())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_recovered_with_its_data_and_cleared() {
        let m = std::sync::Arc::new(Mutex::new(vec![1, 2]));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let mut g = m2.locked();
            g.push(3);
            panic!("a bug while holding the lock");
        })
        .join();
        assert!(m.is_poisoned());
        assert_eq!(*m.locked(), vec![1, 2, 3]);
        assert!(!m.is_poisoned(), "cleared: logged once");

        let rw = std::sync::Arc::new(RwLock::new(7));
        let rw2 = rw.clone();
        let _ = std::thread::spawn(move || {
            let _g = rw2.write_locked();
            panic!("a bug while writing");
        })
        .join();
        assert_eq!(*rw.read_locked(), 7);
        *rw.write_locked() = 8;
        assert_eq!(*rw.read_locked(), 8);
    }
}
