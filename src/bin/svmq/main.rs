#![no_std]
#![no_builtins]
#![no_main]
mod rt;
pub fn main(_args: rt::Args) -> i32 { 0 }
