// Table<T>: one object type's rows in the store, keyed by id, with an optional unique-name index
// and the secondary indexes its ObjectTraits declare.
//
// Reads return pointers into the table; they stay valid until the next write to that object.
// Only Store writes (put/erase), inside apply() or restore(), so every manager's tables change in
// log order. Every container is ordered, so iteration order is deterministic.
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/check.h"
#include "core/store/object_traits.h"

namespace herd::store {

using IdSet = std::set<std::string, std::less<>>;

template <typename T>
class Table {
 public:
  using Rows = std::map<std::string, T, std::less<>>;

  const T* get(std::string_view id) const {
    const auto it = rows_.find(id);
    return it == rows_.end() ? nullptr : &it->second;
  }

  // The object whose unique name is `name`, for types that have one.
  const T* by_name(std::string_view name) const {
    const auto it = names_.find(name);
    return it == names_.end() ? nullptr : get(it->second);
  }

  // Ids filed under `key` in `index`, sorted; empty when none.
  const IdSet& find(Index index, std::string_view key) const {
    const auto& entries = indexes_[static_cast<int>(index)];
    const auto it = entries.find(key);
    return it == entries.end() ? empty_ : it->second;
  }

  // Every key of `index` with its ids, in key order.
  const std::map<std::string, IdSet, std::less<>>& index(Index which) const {
    return indexes_[static_cast<int>(which)];
  }

  const Rows& all() const { return rows_; }
  std::size_t size() const { return rows_.size(); }

  // Inserts or replaces the object with `object.meta().id()`.
  void put(T object) {
    const std::string& id = object.meta().id();
    HERD_CHECK(!id.empty()) << "object without an id";
    const auto existing = rows_.find(id);
    if (existing == rows_.end()) {
      const auto inserted = rows_.emplace(id, std::move(object)).first;
      index_name(inserted->second);
      std::vector<IndexKey> keys = ObjectTraits<T>::index_keys(inserted->second);
      for (const IndexKey& key : keys) add_to_index(key, inserted->first);
      keys_.emplace(inserted->first, std::move(keys));
      return;
    }
    unindex_name(existing->second);
    existing->second = std::move(object);
    index_name(existing->second);
    // Touch only the index entries whose keys changed: a status update of a task moves it in
    // no index, and the big per-service sets are the expensive ones to edit.
    std::vector<IndexKey>& old_keys = keys_.find(id)->second;
    std::vector<IndexKey> new_keys = ObjectTraits<T>::index_keys(existing->second);
    for (const IndexKey& key : old_keys) {
      if (!contains(new_keys, key)) remove_from_index(key, existing->first);
    }
    for (const IndexKey& key : new_keys) {
      if (!contains(old_keys, key)) add_to_index(key, existing->first);
    }
    old_keys = std::move(new_keys);
  }

  void erase(std::string_view id) {
    const auto it = rows_.find(id);
    if (it == rows_.end()) return;
    unindex_name(it->second);
    const auto keys = keys_.find(id);
    for (const IndexKey& key : keys->second) remove_from_index(key, it->first);
    keys_.erase(keys);
    rows_.erase(it);
  }

  void clear() {
    rows_.clear();
    keys_.clear();
    names_.clear();
    for (auto& entries : indexes_) entries.clear();
  }

 private:
  static bool contains(const std::vector<IndexKey>& keys, const IndexKey& key) {
    for (const IndexKey& k : keys) {
      if (k.index == key.index && k.key == key.key) return true;
    }
    return false;
  }

  void add_to_index(const IndexKey& key, const std::string& id) {
    auto& entries = indexes_[static_cast<int>(key.index)];
    auto it = entries.find(key.key);
    if (it == entries.end()) it = entries.emplace(key.key, IdSet()).first;
    it->second.insert(id);
  }

  void remove_from_index(const IndexKey& key, const std::string& id) {
    auto& entries = indexes_[static_cast<int>(key.index)];
    const auto it = entries.find(key.key);
    if (it == entries.end()) return;
    it->second.erase(id);
    if (it->second.empty()) entries.erase(it);
  }

  void index_name(const T& object) {
    if (const std::string* name = ObjectTraits<T>::unique_name(object); name && !name->empty()) {
      names_.insert_or_assign(*name, object.meta().id());
    }
  }

  void unindex_name(const T& object) {
    if (const std::string* name = ObjectTraits<T>::unique_name(object); name && !name->empty()) {
      const auto it = names_.find(*name);
      if (it != names_.end() && it->second == object.meta().id()) names_.erase(it);
    }
  }

  Rows rows_;
  // The index keys each row is filed under, as computed when it was written.
  std::map<std::string, std::vector<IndexKey>, std::less<>> keys_;
  std::map<std::string, std::string, std::less<>> names_;
  std::array<std::map<std::string, IdSet, std::less<>>, kIndexCount> indexes_;
  IdSet empty_;
};

}  // namespace herd::store
