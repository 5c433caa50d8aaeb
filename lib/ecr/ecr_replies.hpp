// ECR's JSON replies, read. Each reader takes a body as an ECR endpoint (or anything
// posing as one) sent it: a body of the wrong shape is Error(protocol), a member of
// the wrong type reads as absent, and numbers are clamped to what berth can hold.
// The fuzz target fuzz/ecr_reply.cpp feeds them hostile bodies.
#pragma once

#include <berth/ecr.hpp>

#include "core/json.hpp"
#include "ecr/ecr_client.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace berth::ecr {

// GetAuthorizationToken: the first authorizationData entry, its token decoded.
AuthorizationToken parse_authorization_token(std::string_view reply);
// ecr-public's GetAuthorizationToken: one authorizationData object (no list, no
// proxyEndpoint).
AuthorizationToken parse_public_authorization_token(std::string_view reply);

// One page of a paginated operation: hands each item of the array named items_key to
// fn (items may be any JSON value) and returns nextToken, "" on the last page. `what`
// names the reply in messages ("ecr:DescribeImages reply").
std::string parse_page(std::string_view reply, const std::string &what, const char *items_key,
                       const std::function<void(const core::json::Value &)> &fn);

// A repository object (DescribeRepositories items, CreateRepository's "repository").
RepositoryInfo parse_repository(const core::json::Value &v);
// CreateRepository.
RepositoryInfo parse_created_repository(std::string_view reply);

// A DescribeImages imageDetails item.
ImageInfo parse_image_detail(const core::json::Value &v);

// DescribeImageScanFindings: the scan's status and its counts by severity (counts
// that are not non-negative integers are left out).
struct ScanFindings {
  std::string status, description;
  std::map<std::string, int> counts;
};
// From the parsed reply (the scan gate reads its findings list from it too).
ScanFindings scan_findings_of(const core::json::Value &doc);

// ECR's timestamps: seconds since the epoch, possibly fractional, clamped to
// 1970..2100 (the clock holds nanoseconds in 64 bits; out-of-range doubles would be
// undefined behaviour to convert, and ages computed from them would overflow).
std::chrono::system_clock::time_point time_from_epoch_seconds(double seconds);

} // namespace berth::ecr
