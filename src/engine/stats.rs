//! Per-stage statistics of one pass: elements produced, busy time (the stage's own work,
//! its inputs' excluded), time waiting on its input and on its consumer, buffer occupancy and
//! tuned values, and optionally a timeline of every call. Stages are keyed by their path in
//! the pipeline, so the datasets a flat_map or interleave opens per element, or a repeat opens
//! per epoch, add up in one entry.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most timeline events one pass records; later calls are counted but not kept.
pub const MAX_TIMELINE_EVENTS: usize = 200_000;

#[derive(Default)]
pub struct StageStats {
    pub path: String,
    pub name: String,
    pub depth: usize,
    pub id: usize,
    elements: AtomicU64,
    busy_ns: AtomicU64,
    input_wait_ns: AtomicU64,
    consumer_wait_ns: AtomicU64,
    buffered: AtomicU64,
    tuned: AtomicU64,
    notes: Mutex<Vec<String>>,
    /// An asynchronous stage's calls from its consumer are waits, not work: they are left out
    /// of the timeline, where its work on other threads shows instead.
    asynchronous: std::sync::atomic::AtomicBool,
}

/// A copy of one stage's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    pub path: String,
    pub name: String,
    pub depth: usize,
    pub elements: u64,
    pub busy_ns: u64,
    pub input_wait_ns: u64,
    pub consumer_wait_ns: u64,
    pub buffered: u64,
    /// The tuned (or fixed) buffer size or parallelism of an asynchronous stage; 0 otherwise.
    pub tuned: u64,
    pub notes: Vec<String>,
}

impl StageStats {
    pub fn add_elements(&self, n: u64) {
        self.elements.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_busy(&self, ns: u64) {
        self.busy_ns.fetch_add(ns, Ordering::Relaxed);
    }

    pub fn add_input_wait(&self, ns: u64) {
        self.input_wait_ns.fetch_add(ns, Ordering::Relaxed);
    }

    pub fn add_consumer_wait(&self, ns: u64) {
        self.consumer_wait_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Marks the stage asynchronous (see `asynchronous`).
    pub fn mark_asynchronous(&self) {
        self.asynchronous.store(true, Ordering::Relaxed);
    }

    pub fn set_buffer(&self, buffered: usize, tuned: usize) {
        self.buffered.store(buffered as u64, Ordering::Relaxed);
        self.tuned.store(tuned as u64, Ordering::Relaxed);
    }

    /// Records a remark once (say, that a function runs as Python).
    pub fn note(&self, text: &str) {
        let mut notes = self.notes.lock().unwrap_or_else(|p| p.into_inner());
        if !notes.iter().any(|n| n == text) {
            notes.push(text.to_string());
        }
    }

    pub fn report(&self) -> StageReport {
        StageReport {
            path: self.path.clone(),
            name: self.name.clone(),
            depth: self.depth,
            elements: self.elements.load(Ordering::Relaxed),
            busy_ns: self.busy_ns.load(Ordering::Relaxed),
            input_wait_ns: self.input_wait_ns.load(Ordering::Relaxed),
            consumer_wait_ns: self.consumer_wait_ns.load(Ordering::Relaxed),
            buffered: self.buffered.load(Ordering::Relaxed),
            tuned: self.tuned.load(Ordering::Relaxed),
            notes: self.notes.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }
}

/// One call of a stage: which stage, on which thread, from when to when (ns since the pass
/// started).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineEvent {
    pub stage: usize,
    pub thread: u64,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// The stages by path, and in the order they were opened (their ids).
#[derive(Default)]
struct Stages {
    by_path: HashMap<String, Arc<StageStats>>,
    ordered: Vec<Arc<StageStats>>,
}

pub struct StatsRegistry {
    start: Instant,
    stages: Mutex<Stages>,
    timeline: Option<Mutex<Vec<TimelineEvent>>>,
}

thread_local! {
    /// The stage whose call is running on this thread, as the parent of stages opened now.
    static CURRENT: Cell<Option<usize>> = const { Cell::new(None) };
    /// Time spent in nested stages' calls during the current call (subtracted from its busy
    /// time).
    static CHILD_NS: Cell<u64> = const { Cell::new(0) };
    static THREAD_ID: u64 = next_thread_id();
}

fn next_thread_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl StatsRegistry {
    pub fn new(timeline: bool) -> Self {
        StatsRegistry {
            start: Instant::now(),
            stages: Mutex::default(),
            timeline: timeline.then(Mutex::default),
        }
    }

    /// The entry for a stage called `name` opened under the stage running on this thread.
    pub fn stage(&self, name: &str) -> Arc<StageStats> {
        let mut guard = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        let Stages { by_path, ordered } = &mut *guard;
        let parent = CURRENT
            .with(Cell::get)
            .and_then(|id| ordered.get(id).cloned());
        let path = match &parent {
            Some(p) => format!("{}/{name}", p.path),
            None => name.to_string(),
        };
        if let Some(existing) = by_path.get(&path) {
            return existing.clone();
        }
        let stats = Arc::new(StageStats {
            path: path.clone(),
            name: name.to_string(),
            depth: parent.map_or(0, |p| p.depth + 1),
            id: ordered.len(),
            ..StageStats::default()
        });
        by_path.insert(path, stats.clone());
        ordered.push(stats.clone());
        stats
    }

    pub fn reports(&self) -> Vec<StageReport> {
        let guard = self.stages.lock().unwrap_or_else(|p| p.into_inner());
        guard.ordered.iter().map(|s| s.report()).collect()
    }

    pub fn timeline(&self) -> Vec<TimelineEvent> {
        self.timeline
            .as_ref()
            .map(|t| t.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default()
    }

    pub fn elapsed_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    /// Runs one call of `stage`: its busy time (minus nested stages' calls on this thread)
    /// and, when recording, its timeline event.
    pub fn measure<T>(&self, stage: &StageStats, call: impl FnOnce() -> T) -> T {
        let event = !stage.asynchronous.load(Ordering::Relaxed);
        self.measure_call(stage, event, call)
    }

    /// Runs a unit of an asynchronous stage's work on a worker thread.
    pub fn measure_work<T>(&self, stage: &StageStats, call: impl FnOnce() -> T) -> T {
        self.measure_call(stage, true, call)
    }

    fn measure_call<T>(&self, stage: &StageStats, event: bool, call: impl FnOnce() -> T) -> T {
        let outer_child = CHILD_NS.with(|c| c.replace(0));
        let outer_current = CURRENT.with(|c| c.replace(Some(stage.id)));
        let start = Instant::now();
        let out = call();
        let took = start.elapsed().as_nanos() as u64;
        let nested = CHILD_NS.with(Cell::get);
        stage.add_busy(took.saturating_sub(nested));
        CHILD_NS.with(|c| c.set(outer_child + took));
        CURRENT.with(|c| c.set(outer_current));
        if let (Some(timeline), true) = (&self.timeline, event) {
            let mut events = timeline.lock().unwrap_or_else(|p| p.into_inner());
            if events.len() < MAX_TIMELINE_EVENTS {
                let end_ns = self.elapsed_ns();
                events.push(TimelineEvent {
                    stage: stage.id,
                    thread: THREAD_ID.with(|t| *t),
                    start_ns: end_ns.saturating_sub(took),
                    end_ns,
                });
            }
        }
        out
    }

    /// Runs a wait of the current thread that must not count as the enclosing stage's work.
    pub fn waiting<T>(call: impl FnOnce() -> T) -> (T, u64) {
        let start = Instant::now();
        let out = call();
        let took = start.elapsed().as_nanos() as u64;
        CHILD_NS.with(|c| c.set(c.get() + took));
        (out, took)
    }
}
