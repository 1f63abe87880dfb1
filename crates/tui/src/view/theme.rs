//! Styles, with and without colour. Without colour (`NO_COLOR`, `--color never`) only bold,
//! reverse and underline remain, and every severity is spelt out in text anyway.

use kubewhy_model::Severity;
use ratatui::style::{Color, Modifier, Style};

/// The styles of one frame.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    color: bool,
}

impl Theme {
    /// Colour on or off.
    #[must_use]
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// A severity's label style.
    #[must_use]
    pub fn severity(self, severity: Severity) -> Style {
        match severity {
            Severity::Critical => self.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            Severity::Error => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Severity::Warning => self.fg(Color::Yellow),
            Severity::Info => self.fg(Color::Cyan),
        }
    }

    /// The selected row.
    #[must_use]
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// Headings and labels.
    #[must_use]
    pub fn heading(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// Less important text.
    #[must_use]
    pub fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// Key names in the footer and the help.
    #[must_use]
    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Errors.
    #[must_use]
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// An issue that is new since the last refresh.
    #[must_use]
    pub fn new_issue(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    /// An issue resolved since the last refresh.
    #[must_use]
    pub fn resolved(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::CROSSED_OUT)
    }

    /// The decisive log line, and the chain's root cause.
    #[must_use]
    pub fn marked(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    /// Commands to run (the fix).
    #[must_use]
    pub fn command(self) -> Style {
        self.fg(Color::Green)
    }

    /// The border of the focused pane.
    #[must_use]
    pub fn focused(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
}

/// A severity as text, five cells wide at most: colour is never the only sign.
#[must_use]
pub fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "CRIT",
        Severity::Error => "ERROR",
        Severity::Warning => "WARN",
        Severity::Info => "INFO",
    }
}
