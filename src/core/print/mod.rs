//! What is printed, as data: the document model, the layout of receipts and
//! reports into documents, and their plain-text rendering (the preview and
//! the text printer). The printers themselves are edges (`src/print/`).

pub mod document;
pub mod layout;
pub mod text;
