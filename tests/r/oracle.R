# oracle.R - reference values for rewire/stats from R and its survival
# package: Cox (coxph, Efron ties), stratified log-rank (survdiff + strata),
# logistic regression (glm, binomial), Holm (p.adjust), Student's t (pt, qt)
# and the two one-sided paired t-tests (t.test).
#
#   Rscript tests/r/oracle.R [OUT]     (OUT defaults to standard output)
#
# Writes each data set and R's results in the line format that
# tests/r/oracle_cases.hpp reads:
#   case <kind> <name>          starts a case
#   data <name> <values...>     an input vector
#   expect <name> <values...>   a value R computed (NA: none)
#   end
# tests/r/reference.txt is this script's output, committed; test_stats_oracle
# compares rewire with it, and the CTest test stats_r_oracle runs this script
# live and compares again. Data sets are built here only (fixed seeds of R's
# own generator, or data sets shipped with the survival package).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
out <- if (length(args) >= 1) file(args[1], "w") else stdout()
put <- function(...) cat(..., "\n", sep = "", file = out)
num <- function(x) paste(ifelse(is.na(x), "NA", sprintf("%.17g", x)), collapse = " ")
data_line <- function(name, x) put("data ", name, " ", num(x))
expect_line <- function(name, x) put("expect ", name, " ", num(x))

# Runs `expr`, keeping its warnings (to tell "coefficient may be infinite"
# and "fitted probabilities numerically 0 or 1" from a clean fit).
with_warnings <- function(expr) {
  warnings <- character()
  value <- withCallingHandlers(expr, warning = function(w) {
    warnings <<- c(warnings, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = warnings)
}

# A coefficient runs to infinity (a monotone likelihood in Cox, separation in
# the logistic model) when more iterations keep moving it: `fit_with(k)`
# returns R's coefficients after k iterations with convergence switched
# off. A finite maximum is reached within 15 Newton steps, after which 25
# more leave every coefficient where it is; along an infinite direction each
# step adds about one unit of linear predictor. A change of more than 1e-3
# in coefficient times covariate SD, or NA (R found the information
# singular): the maximum does not exist. This verdict is R's alone, independent of
# rewire's rule.
diverges <- function(fit_with, x) {
  a <- suppressWarnings(fit_with(15))
  b <- suppressWarnings(fit_with(40))
  sds <- sapply(x, sd)
  any(is.na(a)) || any(is.na(b)) || max(abs(tail(b - a, length(sds)) * sds)) > 1e-3
}

# Tight convergence in R, so that R's own stopping error (about 1e-9 of the
# log-likelihood with the defaults) does not blur the comparison.
cox_control <- coxph.control(eps = 1e-11, iter.max = 100)
glm_control <- glm.control(epsilon = 1e-14, maxit = 100)

put("# tests/r/reference.txt - written by tests/r/oracle.R; do not edit by hand.")
put("# ", R.version.string, ", survival ", as.character(packageVersion("survival")))

# ---- Cox proportional hazards, Efron ties ----------------------------------
cox_case <- function(name, time, event, x) {
  put("case cox ", name)
  data_line("time", time)
  data_line("event", event)
  for (j in seq_along(x)) data_line(paste0("x", j), x[[j]])
  d <- data.frame(time = time, event = event, x)
  names(d) <- c("time", "event", paste0("x", seq_along(x)))
  f <- as.formula(paste("Surv(time, event) ~", paste0("x", seq_along(x), collapse = " + ")))
  r <- with_warnings(coxph(f, data = d, ties = "efron", control = cox_control))
  fit <- r$value
  if (sum(event) == 0) {
    put("expect status no_events")
  } else if (diverges(function(k) coef(coxph(f, data = d, control = coxph.control(eps = 1e-300, iter.max = k))), x)) {
    put("expect status monotone_likelihood")
  } else {
    stopifnot(length(r$warnings) == 0)
    s <- summary(fit)
    put("expect status fitted")
    expect_line("coef", s$coefficients[, "coef"])
    expect_line("se", s$coefficients[, "se(coef)"])
    expect_line("z", s$coefficients[, "z"])
    expect_line("p", s$coefficients[, "Pr(>|z|)"])
    expect_line("ci_lo", s$conf.int[, "lower .95"])
    expect_line("ci_hi", s$conf.int[, "upper .95"])
    expect_line("loglik", fit$loglik[2])
    expect_line("loglik_null", fit$loglik[1])
    expect_line("events", fit$nevent)
  }
  put("end")
}

cox_case("ovarian", ovarian$futime, ovarian$fustat,
         list(ovarian$age, ovarian$ecog.ps, ovarian$rx))
cox_case("veteran", veteran$time, veteran$status,
         list(veteran$karno, veteran$age, veteran$diagtime))

# Cycle-like times: relapse at an integer cycle 1..8 (many ties), or
# censored at cycle 8 (end of follow-up) or earlier (drop-out).
set.seed(20240601)
n <- 40
x1 <- round(rnorm(n, 50, 10), 2)
t_event <- pmin(ceiling(rexp(n, exp(-3 + 0.04 * x1))), 9)
t_drop <- sample(c(3:7, rep(8, 10)), n, replace = TRUE)
cox_case("cycles_1x", pmin(t_event, t_drop), as.numeric(t_event <= t_drop), list(x1))

n <- 60
a <- round(runif(n, 0.2, 0.9), 3)
b <- rbinom(n, 1, 0.4)
c <- round(rnorm(n), 3)
t_event <- pmin(ceiling(rexp(n, exp(-2 + 1.5 * a + 0.6 * b - 0.3 * c))), 9)
t_drop <- sample(c(2:7, rep(8, 12)), n, replace = TRUE)
cox_case("cycles_3x", pmin(t_event, t_drop), as.numeric(t_event <= t_drop), list(a, b, c))

# Monotone likelihood: every event has the largest x of its risk set, so
# beta -> +infinity. With a tie in x at the first event the log-likelihood
# tends to log(1/2) and R reports "coefficient may be infinite"; without
# one it tends to 0 and R runs out of iterations instead.
cox_case("monotone_tied_x", c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 1, 0, 1), list(c(9, 9, 6, 4, 2, 3)))
cox_case("monotone_ordered", c(1, 2, 3, 4, 5, 6), c(1, 1, 1, 1, 0, 1), list(c(9, 7, 6, 4, 2, 3)))
# Two covariates, monotone in the first only.
cox_case("monotone_two_x", c(1, 2, 3, 4, 5, 6, 7, 8), c(1, 1, 1, 0, 1, 1, 0, 1),
         list(c(5, 5, 4, 1, 3, 2, 1, 1), c(0.3, -1.2, 0.8, 0.1, -0.4, 1.5, 0.2, -0.9)))
# Monotone in a combination of three covariates (found among random data
# sets): the information matrix turns singular while the likelihood rises.
cox_case("monotone_three_x", c(8, 1, 2, 1, 6, 1, 7, 6, 5, 5, 9), c(0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0),
         list(c(-0.68, 0, 0.71, 1.35, -1.24, 1.42, -0.53, -1.55, -0.7, -1.61, -0.36),
              c(-0.02, -1.35, 0.93, -1.25, -0.44, 0.95, -0.72, 1.37, -0.61, -1.28, -0.82),
              c(0.05, -1.16, -1.46, 0.81, -0.01, -1.84, 0.05, -0.58, 0.58, -0.91, -0.9)))
# No events at all.
cox_case("no_events", c(2, 3, 5, 7, 8), c(0, 0, 0, 0, 0), list(c(1, 3, 2, 5, 4)))

# ---- log-rank test stratified by a stratum id ------------------------------
logrank_case <- function(name, time, event, group, stratum) {
  put("case logrank ", name)
  data_line("time", time)
  data_line("event", event)
  data_line("group", group)
  data_line("stratum", stratum)
  d <- data.frame(time, event, group, stratum)
  s <- survdiff(Surv(time, event) ~ group + strata(stratum), data = d)
  expect_line("chi2", s$chisq)
  expect_line("p", pchisq(s$chisq, 1, lower.tail = FALSE))
  first_row <- function(m) if (is.matrix(m)) sum(m[1, ]) else m[1]  # one stratum: a vector
  expect_line("observed1", first_row(s$obs))
  expect_line("expected1", first_row(s$exp))
  put("end")
}

# Seeds as strata: every seed contributes one subject per arm (a responder
# in both arms), or one subject only (a non-responder in the other arm,
# left out): a stratum of one adds nothing.
set.seed(7)
seeds <- 30
arm_a <- pmin(ceiling(rexp(seeds, 0.15)), 9)
arm_b <- pmin(ceiling(rexp(seeds, 0.30)), 9)
time <- c(pmin(arm_a, 8), pmin(arm_b, 8))
event <- as.numeric(c(arm_a, arm_b) <= 8)
group <- rep(1:2, each = seeds)
stratum <- rep(1000 + 1:seeds, 2)
keep <- !(group == 2 & stratum %in% (1000 + c(3, 11, 19)))  # three seeds without arm B
logrank_case("seeds", time[keep], event[keep], group[keep], stratum[keep])

set.seed(11)
n <- 50
stratum <- sample(1:5, n, replace = TRUE)
group <- sample(1:2, n, replace = TRUE)
t_event <- ceiling(rexp(n, 0.1 * stratum * ifelse(group == 1, 1, 1.8)))
t_drop <- sample(4:12, n, replace = TRUE)
logrank_case("five_strata", pmin(t_event, t_drop), as.numeric(t_event <= t_drop), group, stratum)
logrank_case("ovarian_by_ecog", ovarian$futime, ovarian$fustat, ovarian$rx, ovarian$ecog.ps)
logrank_case("one_stratum", c(1, 2, 2, 3, 4, 4, 5, 6, 6, 7), c(1, 1, 0, 1, 1, 1, 0, 1, 1, 0),
             c(1, 2, 1, 1, 2, 2, 1, 2, 1, 2), rep(5, 10))

# ---- logistic regression ---------------------------------------------------
logistic_case <- function(name, y, x) {
  put("case logistic ", name)
  data_line("y", y)
  for (j in seq_along(x)) data_line(paste0("x", j), x[[j]])
  d <- data.frame(y = y, x)
  names(d) <- c("y", paste0("x", seq_along(x)))
  f <- as.formula(paste("y ~", paste0("x", seq_along(x), collapse = " + ")))
  r <- with_warnings(glm(f, family = binomial, data = d, control = glm_control))
  if (diverges(function(k) coef(glm(f, family = binomial, data = d, control = glm.control(1e-300, k))), x)) {
    put("expect status separation")
  } else {
    # Allowed: "fitted probabilities numerically 0 or 1", which glm also
    # prints for a finite maximum with extreme fitted values.
    stopifnot(all(grepl("fitted probabilities numerically 0 or 1", r$warnings)))
    # glm's standard errors use the weights of its next-to-last iterate;
    # a second fit started at the estimate puts that iterate at the maximum.
    r$value <- suppressWarnings(glm(f, family = binomial, data = d, control = glm_control, start = coef(r$value)))
    co <- summary(r$value)$coefficients
    put("expect status fitted")
    expect_line("coef", co[, "Estimate"])
    expect_line("se", co[, "Std. Error"])
    expect_line("z", co[, "z value"])
    expect_line("p", co[, "Pr(>|z|)"])
    expect_line("ci_lo", exp(co[, "Estimate"] - qnorm(0.975) * co[, "Std. Error"]))
    expect_line("ci_hi", exp(co[, "Estimate"] + qnorm(0.975) * co[, "Std. Error"]))
    expect_line("loglik", as.numeric(logLik(r$value)))
    expect_line("loglik_null", -r$value$null.deviance / 2)
  }
  put("end")
}

set.seed(3)
n <- 50
x1 <- round(rnorm(n, 0.6, 0.15), 3)
logistic_case("one_x", rbinom(n, 1, plogis(-4 + 6 * x1)), list(x1))
n <- 80
a <- round(runif(n, 0.2, 0.9), 3)
b <- rbinom(n, 1, 0.5)
c <- round(rnorm(n, 10, 3), 2)
logistic_case("three_x", rbinom(n, 1, plogis(-1 + 2 * a - 0.8 * b + 0.1 * (c - 10))), list(a, b, c))
# Complete separation (y = 1 exactly when x > 4.5) and quasi-complete
# separation (y = 1 when x > 4, y = 0 when x < 4, both at x = 4).
logistic_case("complete_separation", c(0, 0, 0, 0, 1, 1, 1, 1), list(1:8))
logistic_case("quasi_separation", c(0, 0, 0, 1, 0, 1, 1, 1), list(c(1, 2, 3, 4, 4, 5, 6, 7)))
# Separated on a combination of two covariates, neither alone.
logistic_case("separation_two_x", c(0, 1, 0, 1, 0, 1, 0, 1, 1, 0),
              list(c(1, 1, 2, 2, 3, 3, 4, 4, 5, 5), c(1, 3, 2, 4, 3, 5, 4, 6, 7, 5)))

# ---- random small data sets for both models --------------------------------
# n from 6 to 40, 1 to 3 covariates, an effect from none to strong enough to
# separate the outcomes (or to make the Cox likelihood monotone) now and
# then. R's verdict on whether a model can be fitted comes from diverges()
# alone.
set.seed(99)
for (k in 1:30) {
  n <- sample(6:40, 1)
  x <- lapply(seq_len(sample(1:3, 1)), function(j) round(rnorm(n), 2))
  eta <- sample(c(0, 1, 3, 8), 1) * x[[1]]
  y <- rbinom(n, 1, plogis(eta))
  if (sum(y) > 0 && sum(y) < n) logistic_case(sprintf("random_%02d", k), y, x)
  t_event <- ceiling(rexp(n, exp(eta) / 3))
  t_drop <- sample(2:9, n, replace = TRUE)
  cox_case(sprintf("random_%02d", k), pmin(t_event, t_drop), as.numeric(t_event <= t_drop), x)
}

# ---- Holm's adjustment -------------------------------------------------------
holm_case <- function(name, p) {
  put("case holm ", name)
  data_line("p", p)
  expect_line("adjusted", p.adjust(p, method = "holm"))
  put("end")
}
holm_case("ties_and_na", c(0.01, 0.04, NA, 0.03, 0.005, 0.04, 0.2, NA, 0.7))
holm_case("capped", c(0.3, 0.5, 0.2, 0.9, 0.0001))

# ---- Student's t and the normal ------------------------------------------------
put("case t grid")
tt <- rep(c(-40, -5.5, -2, -0.3, 0, 0.7, 1.96, 3, 12), times = 6)
df <- rep(c(1, 2.5, 4, 9, 30, 200), each = 9)
data_line("t", tt)
data_line("df", df)
expect_line("cdf", pt(tt, df))
expect_line("upper", pt(tt, df, lower.tail = FALSE))
pp <- rep(c(0.9, 0.95, 0.975, 0.995), times = 6)
qdf <- rep(c(1, 2.5, 4, 9, 30, 200), each = 4)
data_line("q_p", pp)
data_line("q_df", qdf)
expect_line("quantile", qt(pp, qdf))
zz <- c(-8, -3, -1.5, 0, 0.5, 1.959963984540054, 4, 9)
data_line("z", zz)
expect_line("normal_upper", pnorm(zz, lower.tail = FALSE))
data_line("normal_p", c(0.001, 0.025, 0.5, 0.9, 0.975, 0.999999))
expect_line("normal_quantile", qnorm(c(0.001, 0.025, 0.5, 0.9, 0.975, 0.999999)))
put("end")

# ---- two one-sided paired t-tests ------------------------------------------------
tost_case <- function(name, a, b, margin) {
  put("case tost ", name)
  data_line("a", a)
  data_line("b", b)
  data_line("margin", margin)
  lower <- t.test(a, b, paired = TRUE, mu = -margin, alternative = "greater")
  upper <- t.test(a, b, paired = TRUE, mu = margin, alternative = "less")
  ci <- t.test(a, b, paired = TRUE, conf.level = 0.90)$conf.int
  expect_line("t_lower", lower$statistic)
  expect_line("p_lower", lower$p.value)
  expect_line("t_upper", upper$statistic)
  expect_line("p_upper", upper$p.value)
  expect_line("ci", ci)
  expect_line("n", lower$parameter + 1)
  put("end")
}
set.seed(5)
a <- round(rnorm(12, 80, 5), 2)
tost_case("equivalent", a, round(a + rnorm(12, 0.3, 1), 2), 1.5)
a <- round(rnorm(15, 80, 5), 2)
b <- round(a + rnorm(15, -1.2, 1.5), 2)
b[c(4, 9)] <- NA
tost_case("not_equivalent_missing_pairs", a, b, 1)

if (length(args) >= 1) close(out)
