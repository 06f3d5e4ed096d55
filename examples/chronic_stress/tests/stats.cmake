# stats.cmake - the statistics of summary.json against values worked out by
# hand (cmake -P). The seed files of testdata/stats/ are written by hand for a
# tiny protocol; chronic_stress reuses them (no simulation) and summarizes
# them. Every expected value below is computed in the comment beside it, not
# taken from the program's output, so a wrong SD (sample instead of
# population), a wrong sign of the total drop, a null counted as a value or a
# wrong relapse count fails here.
#   -DEXE=<chronic_stress> -DCHECK=<chronic_stress_check> -DTESTDATA=<testdata> -DWORK=<scratch dir>
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/fixture.cmake")
file(REMOVE_RECURSE "${WORK}")
set(out "${WORK}/out")
set(config "${TESTDATA}/stats/config.toml")
fixture_seeds("${EXE}" "${config}" "${TESTDATA}/stats" "${out}" 0 1 2)

execute_process(COMMAND "${EXE}" --config "${config}" --out "${out}" --seeds 3 --threads 1 --no-report
  RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
message("${o}${e}")
if(NOT rc EQUAL 0 OR NOT e MATCHES "reusing 3 finished seeds \\(0-2\\)")
  message(FATAL_ERROR "chronic_stress did not reuse the three hand-written seeds (exit status ${rc})")
endif()

# Population SD: sqrt(sum of squared deviations / n), n = the non-null values.
set(u /arms/untreated)
set(t /arms/treated)
set(L /longitudinal/treated)
execute_process(COMMAND "${CHECK}" expect "${out}/summary.json"
  # untreated.clean: 25, 50, 30 -> mean 105/3 = 35; deviations -10, 15, -5,
  # squares 100 + 225 + 25 = 350; SD sqrt(350/3) = 10.801234497346433
  # (the sample SD would be sqrt(350/2) = 13.2288).
  "${u}/clean/mean=35" "${u}/clean/sd=10.801234497346433" "${u}/clean/min=25" "${u}/clean/max=50" "${u}/clean/n=3"
  # untreated.combined: 28, 28, 31 -> mean 29; squares 1 + 1 + 4 = 6; SD sqrt(2).
  "${u}/combined/mean=29" "${u}/combined/sd=1.4142135623730951" "${u}/combined/min=28" "${u}/combined/max=31"
  # untreated.stress_1.0: 27, 29, 25 -> mean 27; squares 0 + 4 + 4 = 8; SD sqrt(8/3).
  "${u}/stress_1.0/mean=27" "${u}/stress_1.0/sd=1.632993161855452"
  # untreated.sparsity: 95 three times -> SD 0.
  "${u}/sparsity/mean=95" "${u}/sparsity/sd=0" "${u}/sparsity/n=3"
  # treated.combined: 92, 86, 80 -> mean 86; squares 36 + 0 + 36 = 72; SD sqrt(24) = 4.898979485566356
  # (the sample SD would be exactly 6).
  "${t}/combined/mean=86" "${t}/combined/sd=4.898979485566356" "${t}/combined/min=80" "${t}/combined/max=92"
  # treated.relapse_drop: 2.5, 0.5, 6.0 -> mean 3; deviations -0.5, -2.5, 3;
  # squares 0.25 + 6.25 + 9 = 15.5; SD sqrt(15.5/3) = 2.273030282830976.
  "${t}/relapse_drop/mean=3" "${t}/relapse_drop/sd=2.273030282830976" "${t}/relapse_drop/min=0.5"
  "${t}/relapse_drop/max=6"
  # treated.off_extreme: 50, 40, null (seed 2 diverged) -> n = 2, mean 45,
  # squares 25 + 25 = 50; SD sqrt(50/2) = 5 (the sample SD would be 7.07).
  "${t}/off_extreme/mean=45" "${t}/off_extreme/sd=5" "${t}/off_extreme/min=40" "${t}/off_extreme/max=50"
  "${t}/off_extreme/n=2"
  # Combined accuracy by cycle: seed 0 = 90, 85, 82; seed 1 = 88, 79, 84;
  # seed 2 = 77, 76, 71.
  # cycle 0: mean 255/3 = 85; squares 25 + 9 + 64 = 98; SD sqrt(98/3).
  # cycle 1: mean 240/3 = 80; squares 25 + 1 + 16 = 42; SD sqrt(14).
  # cycle 2: mean 237/3 = 79; squares 9 + 25 + 64 = 98; SD sqrt(98/3).
  "${L}/accuracy/mean=[85, 80, 79]"
  "${L}/accuracy/sd=[5.715476066494082, 3.7416573867739413, 5.715476066494082]"
  "${L}/accuracy/min=[77, 76, 71]" "${L}/accuracy/max=[90, 85, 84]" "${L}/accuracy/n=[3, 3, 3]"
  # Sparsity by cycle: 95, 95.5, 95.95 for every seed -> those means, SD 0.
  "${L}/sparsity/mean=[95, 95.5, 95.95]" "${L}/sparsity/sd=[0, 0, 0]"
  # Total drop = cycle 0 - last cycle: 90 - 82 = 8, 88 - 84 = 4, 77 - 71 = 6
  # -> mean 6; squares 4 + 4 + 0 = 8; SD sqrt(8/3) (sample: exactly 2).
  "${L}/total_drop/mean=6" "${L}/total_drop/sd=1.632993161855452" "${L}/total_drop/min=4" "${L}/total_drop/max=8"
  "${L}/total_drop/n=3"
  # Relapse (threshold 80): seed 0 never below; seed 1 first below at
  # cycle 1 (79); seed 2 already at cycle 0 (77). Two of three relapsed;
  # mean cycle at relapse over the relapsed seeds (1, 0): 0.5, SD 0.5.
  "${L}/relapse_cycles=[null, 1, 0]" "${L}/relapsed=2" "${L}/threshold=80"
  "${L}/relapse_cycle/mean=0.5" "${L}/relapse_cycle/sd=0.5" "${L}/relapse_cycle/min=0" "${L}/relapse_cycle/max=1"
  "${L}/relapse_cycle/n=2"
  # Diverged seeds per arm.
  "/diverged/treated=[2]" "/diverged/untreated=[]" "/seeds=[0, 1, 2]"
  # Bootstrap intervals where every resample gives the same answer: three
  # equal values -> [95, 95]; the relapse cycles 1 and 0 -> resample means
  # 0, 0.5, 1 with probability 1/4, 1/2, 1/4, so of 10,000 resamples well over
  # 2.5 % are 0 and over 2.5 % are 1: the interval is [0, 1].
  "${u}/sparsity/ci95=[95, 95]" "${L}/relapse_cycle/ci95=[0, 1]"
  # Outcomes at threshold 80 (cycle 0 = 90, 88, 77): seeds 0 and 1 respond,
  # seed 2 does not; seed 1 relapses at cycle 1 (79), seed 0 is sustained.
  # The first-crossing count (cycle >= 0) is 2: seeds 1 and 2.
  "/outcomes/treated/responders=2" "/outcomes/treated/non_responders=1" "/outcomes/treated/relapsed=1"
  "/outcomes/treated/sustained=1" "/outcomes/treated/first_crossing=2" "/outcomes/treated/excluded=0"
  # Kaplan-Meier over the two responders: cycle 1, 2 at risk, 1 relapse ->
  # S = 1/2; cycle 2, 1 at risk, censored (never relapsed) -> S stays 1/2.
  "/survival/treated/cycle=[1, 2]" "/survival/treated/at_risk=[2, 1]" "/survival/treated/events=[1, 0]"
  "/survival/treated/censored=[0, 1]" "/survival/treated/estimate=[0.5, 0.5]"
  # Log-rank of treated (group 1) against maintained, responders only. Treated:
  # seed 0 censored at 2, seed 1 relapses at 1 (seed 2 does not respond).
  # Maintained: seeds 0 and 1 censored at 2, seed 2 relapses at 1.
  # Seeds as independent subjects: at t = 1, at risk 2 + 3 = 5, 2 events, 1
  # treated: O1 = 1, E1 = 2 * 2 / 5 = 0.8, V = 2 * 3 * 2 * 3 / (25 * 4) =
  # 0.36; none at t = 2: chi2 = 0.2^2 / 0.36 = 1/9.
  # Stratified by seed: seed 0 has no event; seed 1: t = 1, both at risk,
  # treated relapses: O1 - E1 = 1 - 1/2, V = 1/4; seed 2 holds one arm only
  # (a stratum of one group adds nothing): chi2 = (1/2)^2 / (1/4) = 1.
  # p = P(chi-square 1 df > chi2): R pchisq(1/9, 1, lower.tail = FALSE),
  # pchisq(1, 1, lower.tail = FALSE); R's survdiff(Surv(time, event) ~ arm
  # [+ strata(seed)]) gives the same chi2.
  "/logrank/treated/maintained/chi2=0.1111111111111111" "/logrank/treated/maintained/p=0.7388826803635273"
  "/logrank_stratified/treated/maintained/chi2=1" "/logrank_stratified/treated/maintained/p=0.31731050786291415"
  # Paired treated - maintained per cycle: cycle 0 90-92, 88-85, 77-88 =
  # -2, 3, -11 -> mean -10/3; cycle 1 85-88, 79-82, 76-79 = -3 three times
  # -> -3 with the interval [-3, -3]; cycle 2 82-84, 84-82, 71-80 = -2, 2,
  # -9 -> -3. The last cycle again as final_accuracy.
  "/paired/treated/maintained/cycle_accuracy/mean=[-3.3333333333333335, -3, -3]"
  "/paired/treated/maintained/cycle_accuracy/n=[3, 3, 3]"
  "/paired/treated/maintained/cycle_accuracy/ci95/1=[-3, -3]"
  "/paired/treated/maintained/final_accuracy/mean=-3" "/paired/treated/maintained/final_accuracy/n=3"
  # Equivalence (TOST, margin 1 point): treated - maintained combined = 0.5,
  # -0.5, 0: mean 0, SD 0.5, se 0.5 / sqrt 3; t = 1 / se = 2 sqrt 3 with 2 df,
  # where P(T > t) = (1 - t / sqrt(t^2 + 2)) / 2 = (1 - sqrt(12/14)) / 2 =
  # 0.0370899... < 0.05: equivalent; 90 % interval 0 -+ t_0.95,2 se with
  # t_0.95,2 = 0.9 / sqrt(0.095) = 2.919986, so -+0.842927.
  # Final accuracy -2, 2, -9 (mean -3, SD sqrt 31): p = 0.7013, not
  # equivalent. R: t.test(a, b, paired = TRUE, mu = -+1, alternative =
  # "greater"/"less") and conf.level = 0.9 give the same.
  "/equivalence/treated/maintained/combined/margin=1" "/equivalence/treated/maintained/combined/mean=0"
  "/equivalence/treated/maintained/combined/p=0.037089950113724263"
  "/equivalence/treated/maintained/combined/ci90=[-0.842927230423524, 0.842927230423524]"
  "/equivalence/treated/maintained/combined/equivalent=true" "/equivalence/treated/maintained/combined/n=3"
  "/equivalence/treated/maintained/final_accuracy/p=0.7013468165642073"
  "/equivalence/treated/maintained/final_accuracy/equivalent=false"
  # untreated - treated combined -64, -58, -49 and untreated - maintained
  # -63.5, -58.5, -49: far from +-1 (R: p = 0.99700, 0.99714).
  "/equivalence/untreated/treated/combined/p=0.9969979188255724"
  "/equivalence/untreated/maintained/combined/p=0.9971415164569019"
  # No final_accuracy for a pair with an arm without follow-up.
  "/equivalence/untreated/treated/final_accuracy=\"<missing>\""
  # Holm over the run's 6 p-values (2 log-rank, 4 equivalence; the models
  # below have none): the smallest, 0.0370899, times 6 = 0.2225397; the next,
  # 0.3173105, times 5 > 1, so 1 from there on (R: p.adjust(p, "holm")).
  "/equivalence/treated/maintained/combined/p_holm=0.22253970068234558"
  "/logrank_stratified/treated/maintained/p_holm=1" "/logrank/treated/maintained/p_holm=1"
  "/equivalence/treated/maintained/final_accuracy/p_holm=1"
  # Regressions on the baseline's combined accuracy and dead units (3 in
  # every seed): Cox of treated has 2 responders for 2 covariates
  # (too_few_subjects); of maintained, 3 responders, 1 relapse, a constant
  # covariate. Logistic of treated: 1 non-responder of 3, a constant
  # covariate; of maintained: every seed responds (constant_outcome). None
  # has numbers.
  "/cox/treated/status=\"too_few_subjects\"" "/cox/treated/n=2" "/cox/treated/events=1" "/cox/treated/coef=[]"
  "/cox/maintained/status=\"constant_covariate\"" "/cox/maintained/n=3" "/cox/maintained/events=1"
  "/logistic/treated/status=\"constant_covariate\"" "/logistic/treated/events=1" "/logistic/treated/p=[]"
  "/logistic/maintained/status=\"constant_outcome\"" "/logistic/maintained/events=0"
  "/cox/untreated=\"<missing>\""
  # Baseline measures over the seeds: combined 30, 25, 32 -> mean 29,
  # squares 1 + 16 + 9 = 26, SD sqrt(26/3); dead units 3, 3, 3 -> SD 0.
  "/baseline/combined/mean=29" "/baseline/combined/sd=2.943920288775949" "/baseline/combined/n=3"
  "/baseline/dead_units/mean=3" "/baseline/dead_units/sd=0"
  # Paired untreated - treated per seed: combined 28-92, 28-86, 31-80 =
  # -64, -58, -49 -> mean -57; clean 25-100, 50-100, 30-100 -> mean -65.
  "/paired/untreated/treated/combined/mean=-57" "/paired/untreated/treated/combined/n=3"
  "/paired/untreated/treated/clean/mean=-65"
  # Dose of treated: dose_l2 31, 20, 0 -> mean 17; gain = combined -
  # pretreatment_combined = 92-30, 86-26, 80-30 = 62, 60, 50 -> mean 172/3;
  # efficacy = gain / dose_l2 over the seeds with a dose: 62/31 = 2 and
  # 60/20 = 3 (seed 2, dose 0, left out) -> mean 2.5, SD 0.5, n 2, and [2, 3]
  # as for the relapse cycles above.
  "/dose/treated/l2/mean=17" "/dose/treated/gain/mean=57.333333333333336" "/dose/treated/gain/n=3"
  "/dose/treated/efficacy/mean=2.5" "/dose/treated/efficacy/sd=0.5" "/dose/treated/efficacy/n=2"
  "/dose/treated/efficacy/ci95=[2, 3]"
  # Untreated: no dose, so no efficacy (n = 0, null); gain 28-27, 28-29,
  # 31-31 = 1, -1, 0 -> mean 0, SD sqrt(2/3).
  "/dose/untreated/efficacy/n=0" "/dose/untreated/efficacy/mean=null" "/dose/untreated/efficacy/ci95=null"
  "/dose/untreated/gain/mean=0" "/dose/untreated/gain/sd=0.816496580927726"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "summary.json statistics differ from the hand-computed values")
endif()

# results.csv: a null value is an empty field; values in their shortest form.
file(READ "${out}/results.csv" csv)
# Every row ends with its seed's covariates, one column per baseline measure
# (in name order), as in the seed file.
set(header "seed,arm,metric,cycle,value,baseline.clean,baseline.combined,baseline.dead_units,")
string(APPEND header "baseline.dead_units.hidden1,baseline.disconnected_units,baseline.path_share,baseline.standard,")
string(APPEND header "baseline.surviving_weights,baseline.surviving_weights.layer1,")
string(APPEND header "baseline.surviving_weights.layer2,baseline.weight_l1,baseline.weight_l2\n")
string(FIND "${csv}" "${header}" pos)
if(NOT pos EQUAL 0)
  message(FATAL_ERROR "results.csv does not start with the header '${header}'")
endif()
set(seed1 ",42,25,3,3,4,10,27,4.5,6.25,3.125,3.5,1.25\n")
foreach(row "2,treated,off_extreme,,," "1,treated,combined,1,79${seed1}" "0,treated,sparsity,2,95.95,"
            "1,treated,relapse_drop,,0.5${seed1}" "0,untreated,stress_1.0,,27,")
  string(FIND "${csv}" "${row}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "results.csv lacks the row '${row}'")
  endif()
endforeach()
