#pragma once
// `cloudfront`: an Amazon CloudFront distribution in front of one `origin`.
// Every request pays the edge latency, runs the viewer-request function (if
// any), and looks its key up in the edge cache (sim/cache's ItemCache). A miss
// runs the origin-request function, asks the Origin Shield layer (if on), then
// the origin, synchronously; the origin's answer runs the origin-response
// function and is cached; every answer runs the viewer-response function.
// CloudFront Functions draw a sub-millisecond run time and fail past their
// compute limit; Lambda@Edge functions keep a pool of execution environments
// like a Lambda function's (models/lambda/environments.hpp): cold starts,
// keep-alive, a concurrency limit, the trigger's time limit. Cost: requests,
// data transfer out, CloudFront Functions, Lambda@Edge, Origin Shield, with
// the always-free tier. See models/cloudfront/README.md.
#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType cloudfront_type();
// The analytic estimate of one distribution (analytic.cpp).
void cloudfront_analytic(const AnalyticView& view, ServiceEstimate& out);
}
