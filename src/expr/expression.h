// Tandem's implementation of DynamoDB's expression language: the one header
// the executor includes.
//
//   ExpressionContext   placeholders of one request (context.h)
//   ParseCondition      ConditionExpression / FilterExpression (condition.h)
//   ParseUpdate         UpdateExpression (update.h)
//   ParseProjection     ProjectionExpression (projection.h)
//   ParseKeyCondition   KeyConditionExpression (key_condition.h)
//
// Every Parse* call parses, resolves and validates completely; evaluation
// (Evaluate, ApplyUpdate, Project) only runs on validated trees.
#pragma once

#include "expr/ast.h"
#include "expr/condition.h"
#include "expr/context.h"
#include "expr/key_condition.h"
#include "expr/projection.h"
#include "expr/update.h"
