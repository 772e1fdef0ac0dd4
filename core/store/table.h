// Table<T>: one object type's rows in the store, keyed by id, with an optional unique-name index
// and the secondary indexes its ObjectTraits declare.
//
// Reads return pointers into the table; a row keeps its address for as long as it exists (a write
// changes it in place), and the pointer shows the row as it is now. Only Store writes, inside
// apply() or restore(), so every manager's tables change in log order. Iteration goes through
// ordered containers only, so its order is deterministic; a hash map serves id lookups and is
// never iterated. A row's index keys are computed from the row itself, so nothing but the row is
// kept per object besides the index entries.
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/runtime/check.h"
#include "core/store/object_traits.h"

namespace herd::store {

// Ids in an index are views of the table's own keys, which keep their address while the row
// exists (a removed row's entries go first), so an index entry costs no copy of the id.
using IdSet = std::set<std::string_view, std::less<>>;

template <typename T>
class Table {
 public:
  using Rows = std::map<std::string, T, std::less<>>;
  // A row taken out of the table (by remove), which can go back in unchanged.
  using Node = typename Rows::node_type;

  const T* get(std::string_view id) const {
    const auto it = lookup_.find(id);
    return it == lookup_.end() ? nullptr : it->second;
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
    T* existing = find_mutable(id);
    if (existing == nullptr) {
      insert(std::move(object));
      return;
    }
    T before = std::move(*existing);
    *existing = std::move(object);
    reindex(before, *existing);
  }

  void erase(std::string_view id) {
    if (find_mutable(id) != nullptr) (void)extract(id);
  }

  void clear() {
    lookup_.clear();
    rows_.clear();
    names_.clear();
    for (auto& entries : indexes_) entries.clear();
  }

  // The Store's primitives: the row for `id` to change in place (then reindex()), a new row, or a
  // row taken out and put back.
  T* find_mutable(std::string_view id) {
    const auto it = lookup_.find(id);
    return it == lookup_.end() ? nullptr : it->second;
  }

  T& insert(T object) {
    std::string id = object.meta().id();
    const auto it = rows_.emplace(std::move(id), std::move(object)).first;
    HERD_CHECK(lookup_.emplace(it->first, &it->second).second) << "row " << it->first << " twice";
    index_name(it->second);
    for (const IndexKey& key : ObjectTraits<T>::index_keys(it->second)) {
      add_to_index(key, it->first);
    }
    return it->second;
  }

  // Moves the row's index entries from what `before` files under to what the row (same id) files
  // under now; cheap when nothing indexed changed.
  void reindex(const T& before, const T& row) {
    if (ObjectTraits<T>::unique_name(before) != nullptr) {
      unindex_name(before);
      index_name(row);
    }
    if (ObjectTraits<T>::same_index_keys(before, row)) return;
    const std::string_view id = lookup_.find(row.meta().id())->first;
    const std::vector<IndexKey> old_keys = ObjectTraits<T>::index_keys(before);
    const std::vector<IndexKey> new_keys = ObjectTraits<T>::index_keys(row);
    for (const IndexKey& key : old_keys) {
      if (!contains(new_keys, key)) remove_from_index(key, id);
    }
    for (const IndexKey& key : new_keys) {
      if (!contains(old_keys, key)) add_to_index(key, id);
    }
  }

  // Takes the row out of the table and its indexes; `id` must exist.
  Node extract(std::string_view id) {
    const auto found = lookup_.find(id);
    const T& row = *found->second;
    unindex_name(row);
    for (const IndexKey& key : ObjectTraits<T>::index_keys(row)) {
      remove_from_index(key, row.meta().id());
    }
    lookup_.erase(found);
    return rows_.extract(rows_.find(id));
  }

  // Puts back a row taken out by extract().
  void restore(Node node) {
    const auto it = rows_.insert(std::move(node)).position;
    lookup_.emplace(it->first, &it->second);
    index_name(it->second);
    for (const IndexKey& key : ObjectTraits<T>::index_keys(it->second)) {
      add_to_index(key, it->first);
    }
  }

 private:
  static bool contains(const std::vector<IndexKey>& keys, const IndexKey& key) {
    for (const IndexKey& k : keys) {
      if (k.index == key.index && k.key == key.key) return true;
    }
    return false;
  }

  void add_to_index(const IndexKey& key, std::string_view id) {
    auto& entries = indexes_[static_cast<int>(key.index)];
    auto it = entries.find(key.key);
    if (it == entries.end()) it = entries.emplace(key.key, IdSet()).first;
    it->second.insert(id);
  }

  void remove_from_index(const IndexKey& key, std::string_view id) {
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
  // herd-lint: allow(unordered) id lookup only, keyed by the rows' own keys; never iterated
  std::unordered_map<std::string_view, T*> lookup_;
  std::map<std::string, std::string, std::less<>> names_;
  std::array<std::map<std::string, IdSet, std::less<>>, kIndexCount> indexes_;
  IdSet empty_;
};

}  // namespace herd::store
