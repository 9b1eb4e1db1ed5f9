#pragma once
// `rds`: an Amazon RDS instance (MySQL, PostgreSQL) or an Aurora provisioned
// cluster (a writer and `readers`), reached directly or through an RDS Proxy.
// Transactions queue for the instance's vCPUs; connections are held per
// caller session (a Lambda execution environment) and limited by
// max_connections, or pooled and borrowed per transaction by the proxy.
// See models/rds/README.md and docs/model-assumptions.md §17.
#include <vector>

#include "sim/scenario/registry.hpp"

namespace slsim::models {
ServiceType rds_type();
// The analytic estimate of one service of the type (analytic.cpp).
void rds_analytic(const AnalyticView& view, ServiceEstimate& out);
// The insights of one database (insights.cpp): connections at their limit without a proxy.
void rds_insights(const InsightInput& in, std::vector<InsightCandidate>& out);
}
