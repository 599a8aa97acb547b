//! A mutex paired with a condition variable, over two lock implementations: the standard
//! library's and `parking_lot`'s, so that one algorithm (the raw group commit) can be
//! measured on both.
//!
//! The two differ where a group commit feels it: after a group, the leader wakes every
//! waiter. `std::sync::Condvar::notify_all` wakes them all and they race for the mutex;
//! `parking_lot::Condvar::notify_all` wakes one and moves the others onto the mutex's queue,
//! where they are woken one at a time as it is released.

use std::ops::DerefMut;
use std::sync::PoisonError;

/// A mutex over a `T` and a condition variable that waits on that mutex: everything the
/// group commit needs from a lock implementation.
pub trait WaitLock<T> {
    /// Proof that the mutex is held; derefs to the value.
    type Guard<'a>: DerefMut<Target = T>
    where
        Self: 'a;

    /// A lock holding `value`. Costs what the implementation's constructors cost (no system
    /// call for either).
    fn new(value: T) -> Self;

    /// Block until the mutex is held. A mutex poisoned by a panicking holder is taken anyway
    /// (the holder of this crate's locks panics only in a test that fails).
    fn lock(&self) -> Self::Guard<'_>;

    /// Release the mutex, sleep until notified (or woken spuriously: callers re-check their
    /// condition), and return holding the mutex again.
    fn wait<'a>(&'a self, guard: Self::Guard<'a>) -> Self::Guard<'a>;

    /// Wake every thread waiting in [`WaitLock::wait`]. Each returns from it only once it
    /// holds the mutex again, one at a time.
    fn notify_all(&self);
}

/// A family of lock primitives: names the [`WaitLock`] of one implementation for any value
/// that can move between threads (the lock is then shared between threads).
pub trait Primitives {
    /// The implementation's mutex + condition variable over a `T`.
    type Lock<T: Send>: WaitLock<T> + Send + Sync;
}

/// `std::sync::{Mutex, Condvar}`.
#[derive(Debug, Clone, Copy)]
pub struct StdSync;

/// `parking_lot::{Mutex, Condvar}` (the primitives of walogs-core's group commit queue).
#[derive(Debug, Clone, Copy)]
pub struct ParkingLot;

impl Primitives for StdSync {
    type Lock<T: Send> = StdWaitLock<T>;
}

impl Primitives for ParkingLot {
    type Lock<T: Send> = ParkingLotWaitLock<T>;
}

/// [`WaitLock`] on `std::sync`: `notify_all` wakes every waiter, and they contend for the
/// mutex.
#[derive(Debug)]
pub struct StdWaitLock<T> {
    mutex: std::sync::Mutex<T>,
    cond: std::sync::Condvar,
}

impl<T> WaitLock<T> for StdWaitLock<T> {
    type Guard<'a>
        = std::sync::MutexGuard<'a, T>
    where
        T: 'a;

    fn new(value: T) -> Self {
        StdWaitLock {
            mutex: std::sync::Mutex::new(value),
            cond: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> Self::Guard<'_> {
        self.mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'a>(&'a self, guard: Self::Guard<'a>) -> Self::Guard<'a> {
        self.cond
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn notify_all(&self) {
        self.cond.notify_all();
    }
}

/// [`WaitLock`] on `parking_lot`: `notify_all` wakes one waiter and requeues the others onto
/// the mutex, so they do not all wake to fight over it. No poisoning.
#[derive(Debug)]
pub struct ParkingLotWaitLock<T> {
    mutex: parking_lot::Mutex<T>,
    cond: parking_lot::Condvar,
}

impl<T> WaitLock<T> for ParkingLotWaitLock<T> {
    type Guard<'a>
        = parking_lot::MutexGuard<'a, T>
    where
        T: 'a;

    fn new(value: T) -> Self {
        ParkingLotWaitLock {
            mutex: parking_lot::Mutex::new(value),
            cond: parking_lot::Condvar::new(),
        }
    }

    fn lock(&self) -> Self::Guard<'_> {
        self.mutex.lock()
    }

    fn wait<'a>(&'a self, mut guard: Self::Guard<'a>) -> Self::Guard<'a> {
        self.cond.wait(&mut guard);
        guard
    }

    fn notify_all(&self) {
        self.cond.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A waiter sleeps until another thread changes the value and notifies; both
    /// implementations hand the value over intact.
    fn hand_over<P: Primitives>() {
        let lock = P::Lock::<u32>::new(0);
        std::thread::scope(|s| {
            let lock = &lock;
            let waiter = s.spawn(move || {
                let mut g = lock.lock();
                while *g == 0 {
                    g = lock.wait(g);
                }
                *g += 1;
                *g
            });
            {
                let mut g = lock.lock();
                *g = 41;
            }
            lock.notify_all();
            assert_eq!(waiter.join().unwrap(), 42);
        });
        assert_eq!(*lock.lock(), 42);
    }

    #[test]
    fn std_hands_the_value_to_a_waiter() {
        hand_over::<StdSync>();
    }

    #[test]
    fn parking_lot_hands_the_value_to_a_waiter() {
        hand_over::<ParkingLot>();
    }
}
