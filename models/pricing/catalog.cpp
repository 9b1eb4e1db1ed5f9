#include "models/pricing/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/scenario/scenario.hpp"

namespace slsim::models {

namespace {

// us-east-1. The notes name the section of docs/model-assumptions.md that gives
// each price's source (and say UNCONFIRMED where no AWS page confirmed it).
const std::vector<PriceEntry>& us_east_1() {
  static const std::vector<PriceEntry> prices = {
      {"lambda.request", 2.0e-7, "request", "§1.5: $0.20 per 1M requests"},
      {"lambda.duration.x86_64.tier1", 0.0000166667, "GB-s", "§1.5: first 6B GB-s per month"},
      {"lambda.duration.x86_64.tier2", 0.000015, "GB-s", "§1.5: next 9B GB-s"},
      {"lambda.duration.x86_64.tier3", 0.0000133334, "GB-s", "§1.5: over 15B GB-s"},
      {"lambda.duration.arm64.tier1", 0.0000133334, "GB-s", "§1.5: first 7.5B GB-s per month"},
      {"lambda.duration.arm64.tier2", 0.0000120001, "GB-s", "§1.5: next 11.25B GB-s"},
      {"lambda.duration.arm64.tier3", 0.0000106667, "GB-s", "§1.5: over 18.75B GB-s (UNCONFIRMED)"},
      {"lambda.provisioned.x86_64", 0.0000041667, "GB-s", "§1.5: provisioned concurrency, per GB-s enabled"},
      {"lambda.provisioned_duration.x86_64", 0.0000097222, "GB-s", "§1.5: duration on provisioned environments"},
      {"lambda.provisioned.arm64", 0.0000033334, "GB-s", "§1.5: (UNCONFIRMED)"},
      {"lambda.provisioned_duration.arm64", 0.0000077778, "GB-s", "§1.5: (UNCONFIRMED)"},
      {"lambda.free_tier.requests", 1.0e6, "requests/month", "§1.5: free tier, does not expire"},
      {"lambda.free_tier.gb_s", 400000, "GB-s/month", "§1.5: free tier, shared by x86_64 and arm64"},
      {"apigateway.rest.request.tier1", 3.5e-6, "request", "§4: first 333M per month"},
      {"apigateway.rest.request.tier2", 2.8e-6, "request", "§4: next 667M"},
      {"apigateway.rest.request.tier3", 2.38e-6, "request", "§4: next 19B (UNCONFIRMED)"},
      {"apigateway.rest.request.tier4", 1.51e-6, "request", "§4: over 20B (UNCONFIRMED)"},
      {"apigateway.http.request.tier1", 1.0e-6, "request", "§4: first 300M per month"},
      {"apigateway.http.request.tier2", 0.9e-6, "request", "§4: over 300M"},
      {"apigateway.free_tier.requests", 1.0e6, "requests/month", "§4: first 12 months only"},
      // SQS: a request is each 64 KB chunk of a call's payload; empty receives are billed (§2.3).
      {"sqs.request.standard.tier1", 4.0e-7, "request", "§2.3: first 100B per month"},
      {"sqs.request.standard.tier2", 3.0e-7, "request", "§2.3: next 100B"},
      {"sqs.request.standard.tier3", 2.4e-7, "request", "§2.3: over 200B"},
      {"sqs.request.fifo.tier1", 5.0e-7, "request", "§2.3: first 100B per month"},
      {"sqs.request.fifo.tier2", 4.0e-7, "request", "§2.3: next 100B (UNCONFIRMED)"},
      {"sqs.request.fifo.tier3", 3.5e-7, "request", "§2.3: over 200B (UNCONFIRMED)"},
      {"sqs.free_tier.requests", 1.0e6, "requests/month", "§2.3: standard and FIFO together, permanent"},
      // SNS: each 64 KB chunk of a publish counts; deliveries to SQS and Lambda are free (§3).
      {"sns.publish", 5.0e-7, "publish", "§3: standard topics"},
      {"sns.delivery.http", 6.0e-7, "delivery", "§3: HTTP/S deliveries"},
      {"sns.free_tier.publishes", 1.0e6, "publishes/month", "§3"},
      {"sns.delivery.email", 2.0e-5, "notification", "§18.1: e-mail and e-mail-JSON, $2.00 per 100K"},
      {"sns.free_tier.http", 1.0e5, "notifications/month", "§18.1: HTTP/S (UNCONFIRMED)"},
      {"sns.free_tier.email", 1000, "notifications/month", "§18.1: e-mail (UNCONFIRMED)"},
      {"sns.sms.US", 0.00645, "message", "§18.1: one SMS to the US, carrier fees included (UNCONFIRMED)"},
      // Application Load Balancer (§18.4).
      {"alb.hour", 0.0225, "ALB-hour", "§18.4"},
      {"alb.lcu_hour", 0.008, "LCU-hour", "§18.4"},
      {"fargate.x86.vcpu_hour", 0.04048, "vCPU-hour", "§19: Linux/x86"},
      {"fargate.x86.gb_hour", 0.004445, "GB-hour", "§19: Linux/x86"},
      {"fargate.arm.vcpu_hour", 0.03238, "vCPU-hour", "§19: Linux/ARM"},
      {"fargate.arm.gb_hour", 0.00356, "GB-hour", "§19: Linux/ARM"},
      // Step Functions (§20): standard per state transition, express per request and GB-s.
      {"stepfunctions.standard.transition", 2.5e-5, "transition", "§20: $0.025 per 1,000 state transitions"},
      {"stepfunctions.free_tier.transitions", 4000, "transitions/month", "§20: standard, permanent"},
      {"stepfunctions.express.request", 1.0e-6, "request", "§20: $1.00 per 1M requests"},
      {"stepfunctions.express.gb_s", 0.00001667, "GB-s", "§20: first tier; lower tiers past 1,000 GB-hours are not applied (UNCONFIRMED)"},
      {"region.transfer_out.tier1", 0.09, "GB", "§18.4: to the internet, first 10 TB per month (UNCONFIRMED)"},
      {"region.transfer_out.tier2", 0.085, "GB", "§18.4: next 40 TB (UNCONFIRMED)"},
      {"region.transfer_out.tier3", 0.07, "GB", "§18.4: next 100 TB (UNCONFIRMED)"},
      {"region.transfer_out.tier4", 0.05, "GB", "§18.4: over 150 TB (UNCONFIRMED)"},
      {"region.free_tier.transfer_gb", 100, "GB/month", "§18.4: 100 GB a month free (UNCONFIRMED)"},
      // Kinesis Data Streams, provisioned mode (§5.1).
      {"kinesis.shard_hour", 0.015, "shard-hour", "§5.1"},
      {"kinesis.put_payload_unit", 1.4e-8, "25 KB unit", "§5.1: $0.014 per 1M PUT payload units"},
      {"kinesis.extended_retention_shard_hour", 0.02, "shard-hour", "§5.1: retention over 24 h"},
      // EventBridge, Firehose and SES (§8, §6, §9).
      {"eventbridge.event", 1.0e-6, "event", "§8: custom events $1.00 per 1M (UNCONFIRMED)"},
      // EventBridge Scheduler: what `process: schedule` workloads are billed as (not as bus events).
      {"scheduler.invocation", 1.0e-6, "invocation", "§8: $1.00 per 1M invocations after the free tier (UNCONFIRMED)"},
      {"scheduler.free_tier.invocations", 14.0e6, "invocations/month", "§8: 14M free per month (UNCONFIRMED)"},
      {"firehose.ingest_gb", 0.029, "GB", "§6: first 500 TB per month, records rounded up to 5 KB (partly UNCONFIRMED)"},
      {"ses.message", 1.0e-4, "message", "§9: $0.10 per 1,000 e-mails (UNCONFIRMED)"},
      // DynamoDB and DAX (§13): on-demand request units since 1 Nov 2024; provisioned capacity by the hour.
      {"dynamodb.read_request_unit", 1.25e-7, "RRU", "§13.6: $0.125 per 1M read request units"},
      {"dynamodb.write_request_unit", 6.25e-7, "WRU", "§13.6: $0.625 per 1M write request units"},
      {"dynamodb.rcu_hour", 0.00013, "RCU-hour", "§13.6: provisioned read capacity"},
      {"dynamodb.wcu_hour", 0.00065, "WCU-hour", "§13.6: provisioned write capacity"},
      {"dynamodb.free_tier.rcu", 25, "RCU", "§13.6: 25 RCU of provisioned capacity free, all month"},
      {"dynamodb.free_tier.wcu", 25, "WCU", "§13.6: 25 WCU of provisioned capacity free, all month"},
      {"dax.t3.small.hour", 0.04, "node-hour", "§13.5"},
      {"dax.t3.medium.hour", 0.08, "node-hour", "§13.5: UNCONFIRMED"},
      {"dax.r5.large.hour", 0.269, "node-hour", "§13.5"},
      {"dax.r5.xlarge.hour", 0.538, "node-hour", "§13.5: UNCONFIRMED"},
      {"dax.r5.2xlarge.hour", 1.076, "node-hour", "§13.5: UNCONFIRMED"},
      // S3 (§7): no AWS price page was checked for these; they are AWS's us-east-1 list
      // prices as remembered, all UNCONFIRMED: override them with `pricing:`.
      {"s3.standard.gb_month", 0.023, "GB-month", "UNCONFIRMED"},
      {"s3.standard.put", 5.0e-6, "request", "UNCONFIRMED: $0.005 per 1,000 PUT/POST/LIST"},
      {"s3.standard.get", 4.0e-7, "request", "UNCONFIRMED: $0.0004 per 1,000 GET"},
      {"s3.standard_ia.gb_month", 0.0125, "GB-month", "UNCONFIRMED"},
      {"s3.standard_ia.put", 1.0e-5, "request", "UNCONFIRMED"},
      {"s3.standard_ia.get", 1.0e-6, "request", "UNCONFIRMED"},
      {"s3.standard_ia.retrieval_gb", 0.01, "GB", "UNCONFIRMED"},
      {"s3.onezone_ia.gb_month", 0.01, "GB-month", "UNCONFIRMED"},
      {"s3.onezone_ia.put", 1.0e-5, "request", "UNCONFIRMED"},
      {"s3.onezone_ia.get", 1.0e-6, "request", "UNCONFIRMED"},
      {"s3.onezone_ia.retrieval_gb", 0.01, "GB", "UNCONFIRMED"},
      {"s3.glacier_instant.gb_month", 0.004, "GB-month", "UNCONFIRMED"},
      {"s3.glacier_instant.put", 2.0e-5, "request", "UNCONFIRMED"},
      {"s3.glacier_instant.get", 1.0e-5, "request", "UNCONFIRMED"},
      {"s3.glacier_instant.retrieval_gb", 0.03, "GB", "UNCONFIRMED"},
      {"s3.glacier_flexible.gb_month", 0.0036, "GB-month", "UNCONFIRMED"},
      {"s3.glacier_flexible.put", 3.0e-5, "request", "UNCONFIRMED"},
      {"s3.glacier_flexible.get", 5.0e-5, "request", "UNCONFIRMED: standard restore request"},
      {"s3.glacier_flexible.retrieval_gb", 0.01, "GB", "UNCONFIRMED: standard restore"},
      {"s3.deep_archive.gb_month", 0.00099, "GB-month", "UNCONFIRMED"},
      {"s3.deep_archive.put", 5.0e-5, "request", "UNCONFIRMED"},
      {"s3.deep_archive.get", 1.0e-4, "request", "UNCONFIRMED: standard restore request"},
      {"s3.deep_archive.retrieval_gb", 0.02, "GB", "UNCONFIRMED: standard restore"},
      // Caches (§14). ElastiCache nodes per engine and node type, billed per node-hour
      // (§14.1): Redis OSS and Memcached cost the same, Valkey's price is derived as 20%
      // below theirs. The API Gateway stage cache per size, billed per hour (§14.2).
      {"elasticache.redis.cache.t4g.micro", 0.016, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.redis.cache.t4g.small", 0.032, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.redis.cache.r6g.large", 0.206, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.redis.cache.r7g.large", 0.219, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.memcached.cache.t4g.micro", 0.016, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.memcached.cache.t4g.small", 0.032, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.memcached.cache.r6g.large", 0.206, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.memcached.cache.r7g.large", 0.219, "node-hour", "§14.1 (UNCONFIRMED)"},
      {"elasticache.valkey.cache.t4g.micro", 0.0128, "node-hour", "§14.1: derived, 20% below Redis OSS (UNCONFIRMED)"},
      {"elasticache.valkey.cache.t4g.small", 0.0256, "node-hour", "§14.1: derived, 20% below Redis OSS (UNCONFIRMED)"},
      {"elasticache.valkey.cache.r6g.large", 0.165, "node-hour", "§14.1: derived, 20% below Redis OSS (UNCONFIRMED)"},
      {"elasticache.valkey.cache.r7g.large", 0.175, "node-hour", "§14.1: derived, 20% below Redis OSS (UNCONFIRMED)"},
      // RDS and Aurora instances, on demand, Single-AZ (§17.4; all UNCONFIRMED).
      {"rds.mysql.db.t3.micro", 0.017, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.mysql.db.t4g.micro", 0.016, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.mysql.db.t3.medium", 0.068, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.mysql.db.t4g.medium", 0.065, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.mysql.db.r6g.large", 0.215, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.mysql.db.r6g.xlarge", 0.43, "instance-hour", "§17.4: twice the large (UNCONFIRMED)"},
      {"rds.mysql.db.r6g.2xlarge", 0.86, "instance-hour", "§17.4: 4x the large (UNCONFIRMED)"},
      {"rds.mysql.db.r6g.4xlarge", 1.72, "instance-hour", "§17.4: 8x the large (UNCONFIRMED)"},
      {"rds.postgres.db.t3.micro", 0.018, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.postgres.db.t4g.micro", 0.016, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.postgres.db.t3.medium", 0.072, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.postgres.db.t4g.medium", 0.065, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.postgres.db.r6g.large", 0.225, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.postgres.db.r6g.xlarge", 0.45, "instance-hour", "§17.4: twice the large (UNCONFIRMED)"},
      {"rds.postgres.db.r6g.2xlarge", 0.9, "instance-hour", "§17.4: 4x the large (UNCONFIRMED)"},
      {"rds.postgres.db.r6g.4xlarge", 1.8, "instance-hour", "§17.4: 8x the large (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.t3.medium", 0.082, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.t4g.medium", 0.073, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.r6g.large", 0.26, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.r6g.xlarge", 0.519, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.r6g.2xlarge", 1.038, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-mysql.db.r6g.4xlarge", 2.076, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.t3.medium", 0.082, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.t4g.medium", 0.073, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.r6g.large", 0.26, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.r6g.xlarge", 0.519, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.r6g.2xlarge", 1.038, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.aurora-postgresql.db.r6g.4xlarge", 2.076, "instance-hour", "§17.4 (UNCONFIRMED)"},
      {"rds.proxy.vcpu_hour", 0.015, "vCPU-hour", "§17.4: RDS Proxy, per vCPU of the target instances (UNCONFIRMED)"},
      {"rds.proxy.min_vcpus", 2, "vCPUs", "§17.4: the proxy's minimum billed vCPUs (UNCONFIRMED)"},
      {"rds.serverless.acu_hour", 0.12, "ACU-hour", "§17.5: Aurora Serverless v2, Aurora Standard"},
      {"rds.serverless.io_optimized.acu_hour", 0.156, "ACU-hour", "§17.5: Aurora Serverless v2, I/O-Optimized (UNCONFIRMED)"},
      {"rds.proxy.acu_hour", 0.015, "ACU-hour", "§17.5: RDS Proxy on Aurora Serverless v2, per ACU (UNCONFIRMED)"},
      {"rds.proxy.min_acus", 8, "ACUs", "§17.5: the proxy's minimum billed ACUs on Aurora Serverless v2 (UNCONFIRMED)"},
      {"apigateway.cache.0.5GB", 0.020, "cache-hour", "§14.2"},
      {"apigateway.cache.1.6GB", 0.038, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.6.1GB", 0.200, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.13.5GB", 0.250, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.28.4GB", 0.500, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.58.2GB", 1.000, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.118GB", 1.900, "cache-hour", "§14.2 (UNCONFIRMED)"},
      {"apigateway.cache.237GB", 3.800, "cache-hour", "§14.2 (UNCONFIRMED)"},
      // CloudFront (§15.4): US/Europe prices; the always-free tier is per account and month.
      {"cloudfront.request.https", 1.0e-6, "request", "§15.4: $0.0100 per 10,000 HTTPS requests"},
      {"cloudfront.request.http", 7.5e-7, "request", "§15.4: $0.0075 per 10,000 HTTP requests (UNCONFIRMED)"},
      {"cloudfront.transfer.tier1", 0.085, "GB", "§15.4: first 10 TB per month"},
      {"cloudfront.transfer.tier2", 0.080, "GB", "§15.4: next 40 TB"},
      {"cloudfront.transfer.tier3", 0.060, "GB", "§15.4: next 100 TB"},
      {"cloudfront.transfer.tier4", 0.040, "GB", "§15.4: next 350 TB"},
      {"cloudfront.transfer.tier5", 0.030, "GB", "§15.4: next 524 TB (UNCONFIRMED)"},
      {"cloudfront.transfer.tier6", 0.025, "GB", "§15.4: next 4 PB (UNCONFIRMED)"},
      {"cloudfront.transfer.tier7", 0.020, "GB", "§15.4: over 5 PB"},
      {"cloudfront.free_tier.requests", 10.0e6, "requests/month", "§15.4: always free"},
      {"cloudfront.free_tier.transfer_gb", 1024, "GB/month", "§15.4: 1 TB always free"},
      {"cloudfront.function.invocation", 1.0e-7, "invocation", "§15.3: CloudFront Functions, $0.10 per 1M"},
      {"cloudfront.free_tier.function_invocations", 2.0e6, "invocations/month", "§15.3: always free"},
      {"cloudfront.origin_shield.request", 7.5e-7, "request", "§15.2: $0.0075 per 10,000 requests (UNCONFIRMED)"},
      {"lambda_edge.request", 6.0e-7, "request", "§15.3: $0.60 per 1M, no free tier"},
      {"lambda_edge.duration", 0.00005001, "GB-s", "§15.3: per GB-s in 1 ms steps, no free tier"},
      // Cognito user pools: per monthly active user (MAU) by plan, tiers over the month's MAUs (§16.3).
      {"cognito.essentials.mau", 0.015, "MAU", "§16.3"},
      {"cognito.plus.mau", 0.020, "MAU", "§16.3: no free tier"},
      {"cognito.lite.mau.tier1", 0.0055, "MAU", "§16.3: up to 100,000 MAUs (bound UNCONFIRMED)"},
      {"cognito.lite.mau.tier2", 0.0046, "MAU", "§16.3: up to 1,000,000 (bound UNCONFIRMED)"},
      {"cognito.lite.mau.tier3", 0.00325, "MAU", "§16.3: up to 10,000,000 (UNCONFIRMED)"},
      {"cognito.lite.mau.tier4", 0.0025, "MAU", "§16.3: over 10,000,000 (UNCONFIRMED)"},
      {"cognito.free_tier.mau", 10000, "MAUs/month", "§16.3: Lite and Essentials, per account, does not expire"},
  };
  return prices;
}

}  // namespace

std::vector<std::string> priced_regions() { return {"us-east-1"}; }

const std::vector<PriceEntry>& region_prices(std::string_view region) {
  if (region == "us-east-1") return us_east_1();
  throw std::logic_error(fmt::format("no price catalog for region '{}'", region));
}

std::vector<std::string> price_item_names() {
  std::vector<std::string> out;
  for (const auto& e : us_east_1()) out.push_back(e.key);
  return out;
}

PriceCatalog::PriceCatalog(const Scenario& scenario) {
  for (const auto& e : region_prices(scenario.region)) prices_.emplace_back(e.key, e.usd);
  for (const auto& [key, usd] : scenario.pricing)
    for (auto& [k, v] : prices_)
      if (k == key) v = usd;
}

double PriceCatalog::operator()(std::string_view key) const {
  for (const auto& [k, v] : prices_)
    if (k == key) return v;
  throw std::logic_error(fmt::format("unknown price item '{}'", key));
}

double tiered_monthly_cost(double monthly_volume, const std::vector<Tier>& tiers) {
  double cost = 0, below = 0;
  for (const Tier& t : tiers) {
    if (monthly_volume <= below) break;
    const double in_tier = std::min(monthly_volume, t.upto) - below;
    cost += in_tier * t.usd;
    below = t.upto;
  }
  return cost;
}

double shared_tiered_cost(double mine, const std::vector<TierUsage>& shared, const std::vector<Tier>& tiers,
                          double free_per_month) {
  double monthly_volume = 0;
  for (const TierUsage& u : shared) monthly_volume += u.quantity * u.to_month;
  if (mine <= 0 || monthly_volume <= 0) return 0;
  const double billable = std::max(0.0, monthly_volume - free_per_month);
  return tiered_monthly_cost(billable, tiers) * mine / monthly_volume;
}

}  // namespace slsim::models
