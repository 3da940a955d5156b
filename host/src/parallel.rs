//! The one worker-pool pattern the pipeline uses: `jobs` scoped threads pulling items by index,
//! results kept in input order. Listing, hashing, XML checks and transfers all go through it.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Mutex,
};

/// Maps `items` with `jobs` workers; the output is in the order of `items`. `keep_going` is
/// asked before each item: once it answers false, the remaining items are left unmapped (`None`).
pub fn map_while<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    keep_going: impl Fn() -> bool + Sync,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let slots: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    if !items.is_empty() {
        std::thread::scope(|scope| {
            for _ in 0..jobs.clamp(1, items.len()) {
                scope.spawn(|| {
                    while keep_going() {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else { break };
                        let result = work(item);
                        *slots[index].lock().expect("result slot") = Some(result);
                    }
                });
            }
        });
    }
    slots
        .into_iter()
        .map(|slot| slot.into_inner().expect("result slot"))
        .collect()
}

/// Maps every item with `jobs` workers, in order.
pub fn map<T: Sync, R: Send>(items: &[T], jobs: usize, work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    map_while(items, jobs, || true, work)
        .into_iter()
        .map(|r| r.expect("every item is mapped when nothing stops the pool"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_stops_when_asked() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            map(&items, 4, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        let done = AtomicUsize::new(0);
        let out = map_while(
            &items,
            1,
            || done.load(Ordering::SeqCst) < 10,
            |x| {
                done.fetch_add(1, Ordering::SeqCst);
                *x
            },
        );
        assert_eq!(out.iter().filter(|r| r.is_some()).count(), 10);
        assert!(map(&Vec::<u32>::new(), 4, |x| *x).is_empty());
    }
}
