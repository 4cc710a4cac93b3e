//! The Discord layer: the only module that may import serenity and poise. Handlers stay short:
//! parse (typed custom_ids, options) → call a service → render.

pub mod custom_id;
