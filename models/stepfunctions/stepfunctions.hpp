#pragma once
// `stepfunctions`: an AWS Step Functions state machine (standard or express).
// An execution walks its states (task, choice, parallel, map, wait, pass,
// succeed, fail); tasks call other services, with retries and catchers.
// Started asynchronously (`start`: the caller gets an acknowledgement, the
// execution is an asynchronous branch of the request) or, for express,
// synchronously (`start_sync`). See models/stepfunctions/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType stepfunctions_type();
// The analytic estimate of one service of the type (analytic.cpp).
void stepfunctions_analytic(const AnalyticView& view, ServiceEstimate& out);
// Billed GB-s of one express execution lasting `duration_ns`: the duration
// rounded up to 100 ms times the memory rounded up to 64 MB (§20).
double express_billed_gb_s(double duration_ns, double memory_bytes);
}
