//! Pure business rules of a ppetrace inspection draw (work in progress).
