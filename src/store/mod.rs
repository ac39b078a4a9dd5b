//! The only module that names sled.
