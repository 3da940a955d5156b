//! The two sides of a run in one vocabulary, whichever mode runs: [`Which`] names a side and a
//! [`Pair`] holds one value per side, indexed by it. In a one-way run the sides are the source and
//! the destination; in a bisync the local side takes the source's place and the remote side the
//! destination's — those words are only names for messages. Scan, plan and transfer all speak
//! this vocabulary, so a rule written once holds for both modes.

use std::ops::{Index, IndexMut};

/// One of the two sides of a run: in a one-way run the source and the destination, in a bisync
/// the local side (`Source`) and the remote one (`Destination`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Which {
    /// The source (bisync: local) side.
    Source,
    /// The destination (bisync: remote) side.
    Destination,
}

impl Which {
    /// Both sides, source first.
    pub const BOTH: [Which; 2] = [Which::Source, Which::Destination];

    /// What a bisync calls this side: `local` or `remote`.
    pub fn bisync_name(self) -> &'static str {
        side_names(true)[self]
    }

    /// The other side.
    pub fn other(self) -> Which {
        match self {
            Which::Source => Which::Destination,
            Which::Destination => Which::Source,
        }
    }
}

/// What the sides are called in messages: `source`/`destination` in a one-way run,
/// `local`/`remote` in a bisync.
pub fn side_names(two_way: bool) -> Pair<&'static str> {
    if two_way {
        Pair::new("local", "remote")
    } else {
        Pair::new("source", "destination")
    }
}

/// One value per side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pair<T> {
    /// The source (bisync: local) side's.
    pub source: T,
    /// The destination (bisync: remote) side's.
    pub destination: T,
}

impl<T> Pair<T> {
    /// A pair from the source's and the destination's values.
    pub fn new(source: T, destination: T) -> Self {
        Pair {
            source,
            destination,
        }
    }

    /// A pair of values made per side.
    pub fn from_fn(mut f: impl FnMut(Which) -> T) -> Self {
        Pair::new(f(Which::Source), f(Which::Destination))
    }

    /// Both values by reference.
    pub fn as_ref(&self) -> Pair<&T> {
        Pair::new(&self.source, &self.destination)
    }

    /// Each value transformed, knowing its side.
    pub fn map<U>(self, mut f: impl FnMut(Which, T) -> U) -> Pair<U> {
        Pair::new(
            f(Which::Source, self.source),
            f(Which::Destination, self.destination),
        )
    }

    /// The sides with their values, source first.
    pub fn iter(&self) -> impl Iterator<Item = (Which, &T)> {
        [
            (Which::Source, &self.source),
            (Which::Destination, &self.destination),
        ]
        .into_iter()
    }
}

impl<T> Index<Which> for Pair<T> {
    type Output = T;

    fn index(&self, which: Which) -> &T {
        match which {
            Which::Source => &self.source,
            Which::Destination => &self.destination,
        }
    }
}

impl<T> IndexMut<Which> for Pair<T> {
    fn index_mut(&mut self, which: Which) -> &mut T {
        match which {
            Which::Source => &mut self.source,
            Which::Destination => &mut self.destination,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_indexed_by_its_sides() {
        let mut pair = Pair::new("src", "dst");
        assert_eq!(pair[Which::Source], "src");
        pair[Which::Destination] = "other";
        assert_eq!(
            pair.map(|which, v| (which.other(), v)).source,
            (Which::Destination, "src")
        );
        assert_eq!(
            Pair::from_fn(|w| w == Which::Source)
                .iter()
                .filter(|(_, v)| **v)
                .count(),
            1
        );
    }
}
