//! API and page tests against the real server on a random port (one fresh database per
//! test; SQLite unless `JIUZHU_TEST_BACKEND=postgres`).

mod audit;
mod case_api;
mod cases;
mod complaints;
mod correction;
mod county;
mod documents;
mod dynamic;
mod excel;
mod funds;
mod health;
mod helpers;
mod households;
mod login;
mod openapi;
mod public;
mod scenarios;
mod supervise;
mod users;
mod v1;
mod workbench;
