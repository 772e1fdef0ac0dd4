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
    if (existing != rows_.end()) unindex(existing->second);
    T& stored = rows_.insert_or_assign(id, std::move(object)).first->second;
    index_object(stored);
  }

  void erase(std::string_view id) {
    const auto it = rows_.find(id);
    if (it == rows_.end()) return;
    unindex(it->second);
    rows_.erase(it);
  }

  void clear() {
    rows_.clear();
    names_.clear();
    for (auto& entries : indexes_) entries.clear();
  }

 private:
  void index_object(const T& object) {
    if (const std::string* name = ObjectTraits<T>::unique_name(object); name && !name->empty()) {
      names_.insert_or_assign(*name, object.meta().id());
    }
    for (IndexKey& key : ObjectTraits<T>::index_keys(object)) {
      indexes_[static_cast<int>(key.index)][std::move(key.key)].insert(object.meta().id());
    }
  }

  void unindex(const T& object) {
    if (const std::string* name = ObjectTraits<T>::unique_name(object); name && !name->empty()) {
      const auto it = names_.find(*name);
      if (it != names_.end() && it->second == object.meta().id()) names_.erase(it);
    }
    for (const IndexKey& key : ObjectTraits<T>::index_keys(object)) {
      auto& entries = indexes_[static_cast<int>(key.index)];
      const auto it = entries.find(key.key);
      if (it == entries.end()) continue;
      it->second.erase(object.meta().id());
      if (it->second.empty()) entries.erase(it);
    }
  }

  Rows rows_;
  std::map<std::string, std::string, std::less<>> names_;
  std::array<std::map<std::string, IdSet, std::less<>>, kIndexCount> indexes_;
  IdSet empty_;
};

}  // namespace herd::store
