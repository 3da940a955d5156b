//! Loading one plugin library: the loader lives in `ferry_plugin_api::loader`, so that
//! `ferry plugins check` and an author's own tests load plugins exactly as ferry does.

pub use ferry_plugin_api::loader::*;
