/* kinds.c: the table of kinds. */
#include "kinds.h"

static const dc_kind_info_t kinds[DC_KIND__COUNT] = {
    [DC_CONTAINERS] = {.singular = "container", .plural = "containers", .json = "container", .json_plural = "containers",
                       .list_path = "/containers/json", .list_query = "all=1", .decode = dc_api_decode_containers,
                       .prune_path = "/containers/prune", .prune_member = "ContainersDeleted",
                       .remove_prefix = "/containers/", .inspect_suffix = "/json"},
    [DC_BUILD_CACHE] = {.singular = "build cache", .plural = "build cache", .json = "build_cache",
                        .json_plural = "build_cache", .list_path = "/system/df", .list_query = "type=build-cache",
                        .decode = dc_api_decode_df_build_cache, .prune_path = "/build/prune",
                        .prune_member = "CachesDeleted"},
    [DC_NETWORKS] = {.singular = "network", .plural = "networks", .json = "network", .json_plural = "networks",
                     .list_path = "/networks", .decode = dc_api_decode_networks, .prune_path = "/networks/prune",
                     .prune_member = "NetworksDeleted", .remove_prefix = "/networks/", .inspect_suffix = ""},
    [DC_IMAGES] = {.singular = "image", .plural = "images", .json = "image", .json_plural = "images",
                   .list_path = "/images/json", .decode = dc_api_decode_images, .prune_path = "/images/prune",
                   .prune_member = "ImagesDeleted", .remove_prefix = "/images/", .inspect_suffix = "/json"},
    [DC_VOLUMES] = {.singular = "volume", .plural = "volumes", .json = "volume", .json_plural = "volumes",
                    .list_path = "/volumes", .decode = dc_api_decode_volumes, .prune_path = "/volumes/prune",
                    .prune_member = "VolumesDeleted", .remove_prefix = "/volumes/", .inspect_suffix = ""},
    /* Not a resource of its own: the reaper's containers, listed and removed as containers. */
    [DC_REAP] = {.singular = "container", .plural = "reaped", .json = "container", .json_plural = "reaped_containers",
                 .list_path = "/containers/json", .list_query = "all=1", .decode = dc_api_decode_containers,
                 .prune_member = "ContainersDeleted", .remove_prefix = "/containers/", .inspect_suffix = "/json"},
};

const dc_kind_info_t *dc_kind(dc_kind_t k) { return &kinds[k]; }
const char *dc_kind_singular(dc_kind_t k) { return kinds[k].singular; }
const char *dc_kind_plural(dc_kind_t k) { return kinds[k].plural; }
const char *dc_kind_json(dc_kind_t k) { return kinds[k].json; }
const char *dc_kind_json_plural(dc_kind_t k) { return kinds[k].json_plural; }

int dc_api_decode_prune(dc_kind_t kind, const char *body, size_t len, dc_prune_result_t *out, char *err,
                        size_t errlen) {
  return dc_decode_prune_reply(kinds[kind].prune_member, kind == DC_IMAGES, body, len, out, err, errlen);
}
