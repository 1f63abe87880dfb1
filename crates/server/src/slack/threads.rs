//! Conversations in Slack threads: which issue a thread is about, what the user was told, and
//! the turns since, so that a follow-up mention continues with its history. Bounded: the
//! oldest threads are forgotten first.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Mutex, PoisonError},
};

use std::sync::Arc;

use kubewhy_engine::assistant::Speaker;
use kubewhy_model::Issue;

use crate::work::Analysis;

/// Threads remembered at most.
const MAX_THREADS: usize = 1_000;
/// Turns kept per thread; the assistant fits them to the model's context anyway.
const MAX_TURNS: usize = 20;

/// One thread's conversation.
#[derive(Debug, Clone)]
pub struct Thread {
    /// The issue it is about.
    pub issue: Issue,
    /// What the user was told first.
    pub explanation: Option<String>,
    /// Turns since, oldest first.
    pub history: Vec<(Speaker, String)>,
    /// The analysis it came from: its names are what the channel's scrubber replaces.
    pub analysis: Arc<Analysis>,
}

/// A channel and a thread's timestamp.
type Key = (String, String);

/// Threads by channel and thread timestamp.
#[derive(Debug, Default)]
pub struct Threads {
    inner: Mutex<(HashMap<Key, Thread>, VecDeque<Key>)>,
}

impl Threads {
    /// The thread `ts` of `channel`.
    pub fn get(&self, channel: &str, ts: &str) -> Option<Thread> {
        let inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.0.get(&(channel.to_owned(), ts.to_owned())).cloned()
    }

    /// Remembers a thread.
    pub fn open(&self, channel: &str, ts: &str, thread: Thread) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (channel.to_owned(), ts.to_owned());
        if inner.0.insert(key.clone(), thread).is_none() {
            inner.1.push_back(key);
        }
        while inner.1.len() > MAX_THREADS {
            if let Some(old) = inner.1.pop_front() {
                inner.0.remove(&old);
            }
        }
    }

    /// Adds a question and its answer to a thread.
    pub fn record(&self, channel: &str, ts: &str, question: String, answer: String) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(thread) = inner.0.get_mut(&(channel.to_owned(), ts.to_owned())) {
            thread.history.push((Speaker::User, question));
            thread.history.push((Speaker::Assistant, answer));
            let excess = thread.history.len().saturating_sub(MAX_TURNS);
            thread.history.drain(..excess);
        }
    }
}
