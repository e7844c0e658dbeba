//! File formats: readers and writers that know bytes on disk, not datasets.
