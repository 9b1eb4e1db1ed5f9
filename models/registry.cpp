// The one place that lists the service types: one line per type.
#include "models/account.hpp"
#include "models/alb/alb.hpp"
#include "models/apigateway/apigateway.hpp"
#include "models/cloudfront/cloudfront.hpp"
#include "models/cognito/cognito.hpp"
#include "models/dynamodb/dynamodb.hpp"
#include "models/elasticache/elasticache.hpp"
#include "models/eventbridge/eventbridge.hpp"
#include "models/eventbridge/scheduler.hpp"
#include "models/external/external.hpp"
#include "models/fargate/fargate.hpp"
#include "models/firehose/firehose.hpp"
#include "models/function_url/function_url.hpp"
#include "models/kinesis/kinesis.hpp"
#include "models/lambda/lambda.hpp"
#include "models/pricing/catalog.hpp"
#include "models/rds/rds.hpp"
#include "models/s3/s3.hpp"
#include "models/ses/ses.hpp"
#include "models/sns/sns.hpp"
#include "models/sqs/sqs.hpp"
#include "models/stepfunctions/stepfunctions.hpp"
#include "sim/scenario/registry.hpp"

namespace slsim {

const ServiceRegistry& builtin_services() {
  static const ServiceRegistry registry = [] {
    ServiceRegistry r;
    r.account = &models::account_schema();
    r.price_items = models::price_item_names();
    r.regions = models::priced_regions();
    r.bill_workloads = &models::bill_schedules;
    r.types.push_back(models::external_type());
    r.types.push_back(models::apigateway_type());
    r.types.push_back(models::lambda_type());
    r.types.push_back(models::sns_type());
    r.types.push_back(models::sqs_type());
    r.types.push_back(models::s3_type());
    r.types.push_back(models::kinesis_type());
    r.types.push_back(models::eventbridge_type());
    r.types.push_back(models::firehose_type());
    r.types.push_back(models::ses_type());
    r.types.push_back(models::dynamodb_type());
    r.types.push_back(models::elasticache_type());
    r.types.push_back(models::rds_type());
    r.types.push_back(models::cloudfront_type());
    r.types.push_back(models::alb_type());
    r.types.push_back(models::function_url_type());
    r.types.push_back(models::cognito_type());
    r.types.push_back(models::fargate_type());
    r.types.push_back(models::stepfunctions_type());
    return r;
  }();
  return registry;
}

}  // namespace slsim
