# make_fixture.R - the seed files of testdata/regression/ and the values R
# computes from them (expected.txt), for the test chronic_stress.regression:
# chronic_stress reuses the seed files, summarizes them, and its summary.json
# must hold R's values.
#
#   Rscript make_fixture.R [DIR]     (DIR defaults to this script's directory)
#
# The study (config.toml): two arms with follow-up, a and b, 4 cycles,
# threshold 80, and 20 seeds whose baseline measures (the covariates) and
# outcomes are drawn here with R's generator at a fixed seed: non-response
# and the hazard of relapse both grow with the dead units and fall with the
# pre-treatment combined accuracy. R then computes what summary.json must
# hold: Cox (Efron ties) of the responders' time to relapse and logistic
# regression of non-response, per arm, on the baseline's combined accuracy
# and dead units; the log-rank test of a against b, plain and stratified by
# seed; the paired per-cycle differences a - b; the paired TOST of
# `combined` and of the last cycle with margin 1; and Holm's adjustment of
# all these p-values together. chronic_stress.regression_r reruns this
# script and checks that it writes the committed files again.
suppressPackageStartupMessages(library(survival))
options(warn = 2)  # a warning (e.g. "coefficient may be infinite") stops the script

args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args) >= 1) args[1] else {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  dirname(normalizePath(f))
}
num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
arr <- function(x) paste0("[", paste(num(x), collapse = ","), "]")
one <- function(x) sprintf("%.1f", x)  # the data: one decimal, as JSON spells it

set.seed(20251205)
n <- 20
cycles <- 4
threshold <- 80
combined0 <- round(runif(n, 24, 40), 1)  # baseline.combined
dead <- sample(0:8, n, replace = TRUE)   # baseline.dead_units

# One arm: non-response, time to relapse (Inf: none within the cycles), and
# the accuracies that give them.
draw_arm <- function(shift) {
  p_non <- plogis(-1.2 + 0.35 * (dead - 4) - 0.15 * (combined0 - 32))
  responder <- runif(n) >= p_non
  hazard <- exp(-1.6 + shift + 0.3 * (dead - 4) - 0.08 * (combined0 - 32))
  relapse <- ifelse(responder, ceiling(rexp(n, hazard)), NA)
  relapse[!is.na(relapse) & relapse > cycles] <- Inf
  acc <- matrix(0, n, cycles + 1)
  for (i in seq_len(n)) {
    high <- round(runif(cycles + 1, 82, 92), 1)
    low <- round(runif(cycles + 1, 60, 78), 1)
    c <- 0:cycles
    acc[i, ] <- if (!responder[i]) low else ifelse(c >= relapse[i], low, high)
  }
  combined <- round(acc[, 1] + runif(n, -0.4, 0.4), 1)
  list(responder = responder, relapse = relapse, acc = acc, combined = combined)
}
arms <- list(a = draw_arm(0), b = draw_arm(-0.5))
arms$b$combined <- round(arms$a$combined + runif(n, -0.6, 0.6), 1)  # b's post-treatment panel close to a's

# ---- the seed files ---------------------------------------------------------
metrics_json <- function(arm, i) {
  m <- c(dose_l1 = 40, dose_l2 = 20, dose_turnover = 30, dose_sparsity_change = 0, pretreatment_combined = 30,
         sparsity = 95, clean = 100, standard = 98, combined = arm$combined[i], "stress_0.0" = 98,
         "stress_1.0" = 85, relapse_before = 90, relapse_after = 87, relapse_drop = 3, relapse_sparsity = 97)
  paste0('"', names(m), '": ', one(m), collapse = ", ")
}
first_crossing <- function(acc) {
  below <- which(acc < threshold)
  if (length(below) == 0) "null" else as.character(below[1] - 1)
}
for (i in seq_len(n)) {
  arm_json <- sapply(names(arms), function(a) {
    x <- arms[[a]]
    sprintf('"%s": {"diverged": false, "metrics": {%s}, "longitudinal": {"sparsity": [%s], "accuracy": [%s], "relapse_cycle": %s}}',
            a, metrics_json(x, i), paste(one(95 + 0.5 * 0:cycles), collapse = ", "),
            paste(one(x$acc[i, ]), collapse = ", "), first_crossing(x$acc[i, ]))
  })
  baseline <- sprintf(paste0('"clean": 40.0, "combined": %s, "dead_units": %d, "dead_units.hidden1": %d, ',
                             '"disconnected_units": %d, "path_share": 10.0, "standard": 31.0, "surviving_weights": 5.0, ',
                             '"surviving_weights.layer1": 6.25, "surviving_weights.layer2": 4.5, "weight_l1": 2.5, "weight_l2": 1.25'),
                      one(combined0[i]), dead[i], dead[i], dead[i] + 1)
  text <- sprintf(paste0('{\n  "schema": "rewire.chronic_stress.seed/2",\n  "seed": %d,\n  "config_hash": "@HASH@",\n',
                         '  "library_version": "@VERSION@",\n  "seconds": 1.0,\n  "baseline": {%s},\n  "arms": {\n    %s\n  }\n}\n'),
                  i - 1, baseline, paste(arm_json, collapse = ",\n    "))
  writeLines(text, file.path(here, sprintf("seed-%03d.json.in", i - 1)), sep = "")
}

# ---- what R computes from them ------------------------------------------------
# The numbers as the seed files hold them (parsed back from one decimal).
x1 <- as.numeric(one(combined0))
acc <- lapply(arms, function(x) matrix(as.numeric(one(x$acc)), n))
out <- c("# expected.txt - written by make_fixture.R; do not edit by hand.",
         paste0("# ", R.version.string, ", survival ", packageVersion("survival")))
put <- function(pointer, value) out <<- c(out, paste0(pointer, "=", value))
p_all <- c()  # the family, for p.adjust
p_ptr <- c()
add_p <- function(pointer, p) {
  p_all <<- c(p_all, p)
  p_ptr <<- c(p_ptr, pointer)
}

cox_control <- coxph.control(eps = 1e-11, iter.max = 100)
glm_control <- glm.control(epsilon = 1e-14, maxit = 100)
times <- list()
for (a in names(arms)) {
  y <- acc[[a]]
  responder <- y[, 1] >= threshold
  first_low <- apply(y[, -1, drop = FALSE] < threshold, 1, function(b) if (any(b)) which(b)[1] else NA)
  d <- data.frame(seed = 0:(n - 1), x1 = x1, x2 = dead, responder = responder,
                  time = ifelse(is.na(first_low), cycles, first_low), event = as.numeric(!is.na(first_low)))
  times[[a]] <- d[d$responder, ]
  cox <- coxph(Surv(time, event) ~ x1 + x2, data = times[[a]], ties = "efron", control = cox_control)
  s <- summary(cox)$coefficients
  ci <- cbind(exp(s[, "coef"] - qnorm(0.975) * s[, "se(coef)"]), exp(s[, "coef"] + qnorm(0.975) * s[, "se(coef)"]))
  base <- paste0("/cox/", a)
  put(paste0(base, "/status"), '"fitted"')
  put(paste0(base, "/n"), nrow(times[[a]]))
  put(paste0(base, "/events"), sum(times[[a]]$event))
  put(paste0(base, "/coef"), arr(s[, "coef"]))
  put(paste0(base, "/se"), arr(s[, "se(coef)"]))
  put(paste0(base, "/hazard_ratio"), arr(exp(s[, "coef"])))
  for (j in 1:2) put(paste0(base, "/ci95/", j - 1), arr(ci[j, ]))
  put(paste0(base, "/p"), arr(s[, "Pr(>|z|)"]))
  for (j in 1:2) add_p(paste0(base, "/p_holm/", j - 1), s[j, "Pr(>|z|)"])

  d$non <- as.numeric(!d$responder)
  g <- glm(non ~ x1 + x2, family = binomial, data = d, control = glm_control)
  g <- glm(non ~ x1 + x2, family = binomial, data = d, control = glm_control, start = coef(g))
  co <- summary(g)$coefficients
  base <- paste0("/logistic/", a)
  put(paste0(base, "/status"), '"fitted"')
  put(paste0(base, "/n"), n)
  put(paste0(base, "/events"), sum(d$non))
  put(paste0(base, "/coef"), arr(co[, "Estimate"]))
  put(paste0(base, "/se"), arr(co[, "Std. Error"]))
  put(paste0(base, "/odds_ratio"), arr(exp(co[, "Estimate"])))
  for (j in 1:3) put(paste0(base, "/ci95/", j - 1),
                     arr(exp(co[j, "Estimate"] + c(-1, 1) * qnorm(0.975) * co[j, "Std. Error"])))
  put(paste0(base, "/p"), arr(co[, "Pr(>|z|)"]))
  put(paste0(base, "/p_holm/0"), "null")  # the intercept is not in the family
  for (j in 2:3) add_p(paste0(base, "/p_holm/", j - 1), co[j, "Pr(>|z|)"])
}

# Log-rank of a against b over the responders, plain and stratified by seed.
both <- rbind(cbind(times$a, arm = "a"), cbind(times$b, arm = "b"))
for (kind in c("logrank", "logrank_stratified")) {
  f <- if (kind == "logrank") Surv(time, event) ~ arm else Surv(time, event) ~ arm + strata(seed)
  chi2 <- survdiff(f, data = both)$chisq
  put(paste0("/", kind, "/a/b/chi2"), num(chi2))
  put(paste0("/", kind, "/a/b/p"), num(pchisq(chi2, 1, lower.tail = FALSE)))
  add_p(paste0("/", kind, "/a/b/p_holm"), pchisq(chi2, 1, lower.tail = FALSE))
}

# Paired a - b per cycle (every seed has every cycle), and the last cycle.
diffs <- acc$a - acc$b
put("/paired/a/b/cycle_accuracy/mean", arr(colMeans(diffs)))
put("/paired/a/b/cycle_accuracy/n", arr(rep(n, cycles + 1)))
put("/paired/a/b/final_accuracy/mean", num(mean(diffs[, cycles + 1])))

# TOST with margin 1 of combined and of the last cycle.
tost <- function(metric, x, y) {
  lo <- t.test(x, y, paired = TRUE, mu = -1, alternative = "greater")$p.value
  hi <- t.test(x, y, paired = TRUE, mu = 1, alternative = "less")$p.value
  base <- paste0("/equivalence/a/b/", metric)
  put(paste0(base, "/mean"), num(mean(x - y)))
  put(paste0(base, "/ci90"), arr(t.test(x, y, paired = TRUE, conf.level = 0.9)$conf.int))
  put(paste0(base, "/p"), num(max(lo, hi)))
  put(paste0(base, "/equivalent"), if (max(lo, hi) < 0.05) "true" else "false")
  add_p(paste0(base, "/p_holm"), max(lo, hi))
}
tost("combined", as.numeric(one(arms$a$combined)), as.numeric(one(arms$b$combined)))
tost("final_accuracy", acc$a[, cycles + 1], acc$b[, cycles + 1])

holm <- p.adjust(p_all, method = "holm")
for (k in seq_along(holm)) put(p_ptr[k], num(holm[k]))
writeLines(out, file.path(here, "expected.txt"))
