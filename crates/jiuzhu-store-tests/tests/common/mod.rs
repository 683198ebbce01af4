/// Declares one `#[tokio::test]` per conformance function, each on a fresh database made by
/// `$make` (an async fn returning `Option<TestDb>`; `None` means skipped).
#[macro_export]
macro_rules! conformance_tests {
    ($make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(db) = $make().await else { return };
                jiuzhu_store_tests::conformance::$name(&db).await;
                db.cleanup().await;
            }
        )*
    };
}

#[macro_export]
macro_rules! all_conformance_tests {
    ($make:path) => {
        $crate::conformance_tests!($make;
            migrations_are_applied,
            divisions_load_once_and_are_audited,
            accounts_are_checked_and_scoped,
            commands_are_idempotent,
            concurrent_commands_keep_the_chain,
            households_are_validated,
            jurisdiction_scoping_holds,
            pagination_is_stable,
            sessions_and_tokens,
            audit_chain_detects_tampering,
            installed_rules_govern_case_commands,
            audit_chain_detects_deletion,
            demo_seed_is_repeatable,
            delegation_grants_answer_authority,
            audit_verify_reads_forged_low_sequence_numbers,
            audit_chain_detects_a_wiped_log,
            verification_sees_one_snapshot,
            concurrent_grants_and_revocations_serialize,
            free_text_refuses_control_characters,
            password_change_and_deactivation_end_api_tokens,
            demo_cases_cover_every_stage,
            failed_logins_keep_only_plausible_usernames,
            demo_seed_completes_an_interrupted_run_and_keeps_existing_grants,
            demo_seed_refuses_a_database_with_real_accounts,
            case_runs_from_application_to_decision,
            duplicate_open_application_is_refused,
            concurrent_case_commands_serialize,
            household_import_is_one_transaction,
            household_import_writes_in_batches,
            documents_are_archived_with_their_case,
            payroll_entitlement_from_approval,
            payroll_bank_accounts_are_checked,
            payroll_monthly_cycle,
            payroll_reserve_fund,
            township_decisions_are_filed_for_review,
            spot_check_draws_are_reproducible_recorded_and_not_repeated,
            rectification_needs_a_response_and_overdue_orders_are_listed,
            complaints_are_routed_with_an_answer_deadline,
            dishonesty_records_need_the_profile_and_stay_with_county_staff,
            dynamic_monthly_visits_and_the_missing_list,
            dynamic_rechecks_change_the_next_roster,
            dynamic_recheck_stops_a_household_no_longer_eligible,
            corrections_change_the_entitlement_and_count_the_overpayment,
        );
    };
}
