//! Printer drivers behind one interface. The demo printer appends a text
//! rendering to a file; hardware drivers come with the devices module.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use thiserror::Error;

use super::document::Document;
use super::text::render;

#[derive(Debug, Error)]
pub enum PrintError {
    #[error("cannot write to {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

pub trait Printer: Send {
    fn print(&mut self, document: &Document) -> Result<(), PrintError>;
}

/// Appends each document, rendered as text, to a file (the demo "paper").
pub struct TextFilePrinter {
    path: PathBuf,
    width: usize,
}

impl TextFilePrinter {
    pub fn new(path: PathBuf, width: usize) -> TextFilePrinter {
        TextFilePrinter { path, width }
    }
}

impl Printer for TextFilePrinter {
    fn print(&mut self, document: &Document) -> Result<(), PrintError> {
        let error = |source| PrintError::Write {
            path: self.path.clone(),
            source,
        };
        let mut text = render(document, self.width).join("\n");
        text.push_str("\n\n");
        text.push_str(&"=".repeat(self.width));
        text.push_str("\n\n");
        let mut file = OpenOptions::new().create(true).append(true).open(&self.path).map_err(error)?;
        file.write_all(text.as_bytes()).map_err(error)?;
        file.sync_data().map_err(error)
    }
}
