// Reading the configuration file with inih. inih's handler is not told the
// line number, so the text is fed through our own line reader, which
// counts lines, checks section headers and refuses NUL bytes and lines too
// long for inih's buffer (which inih would otherwise split silently).
#include <ini.h>

#include <map>
#include <set>

#include "config/keys.h"
#include "config/links.h"
#include "config/settings.h"
#include "config/value.h"

namespace braid::config {
namespace {

// The longest line accepted; values are limited to less (see validate).
constexpr size_t kMaxLine = 16384;

struct ParseState {
  std::string_view text;
  size_t pos = 0;
  int line = 0;
  Config* cfg = nullptr;
  std::string error;  // the first problem found, at error_line
  int error_line = 0;
  std::map<const Key*, int> scalar_lines;  // key -> line of its first setting
  std::set<const Key*> lists_started;
  int shared_key_line = 0;  // where shared_key or shared_key_file was set
  std::string_view shared_key_name;
  // [link NAME] sections: the file's links replace those cfg held before.
  bool links_started = false;
  int current_link = -1;  // index in cfg->links of the section being read
  std::vector<int> link_lines;  // the header line of each link
  std::map<std::pair<int, const LinkKey*>, int> link_scalar_lines;
};

void fail(ParseState* st, std::string message) {
  if (st->error_line != 0) return;
  st->error = std::move(message);
  st->error_line = st->line;
}

// A "[link NAME]" header: the link is created here, since inih tells the
// handler nothing of a section without keys.
void start_link(ParseState* st, std::string name) {
  std::vector<LinkSpec>& links = st->cfg->links;
  if (!st->links_started) {
    links.clear();
    st->links_started = true;
  }
  for (size_t i = 0; i < links.size(); ++i) {
    if (links[i].name == name) {
      fail(st, "link \"" + name + "\" is defined twice (first at line " +
                   std::to_string(st->link_lines[i]) + "): link names must be unique");
      return;
    }
  }
  if (links.size() >= kMaxLinks) {
    fail(st, "too many [link] sections: at most " + std::to_string(kMaxLinks));
    return;
  }
  st->current_link = static_cast<int>(links.size());
  st->link_lines.push_back(st->line);
  links.push_back(LinkSpec{});
  links.back().name = std::move(name);
}

// Checks a "[section]" line the way inih will read it; lines inih cannot
// read as a section are left to its syntax check.
void check_section_line(ParseState* st, std::string_view line) {
  line = trim(line);
  if (line.empty() || line[0] != '[') return;
  size_t close = line.find(']');
  if (close == std::string_view::npos) return;
  std::string_view name = trim(line.substr(1, close - 1));
  std::string_view rest = trim(line.substr(close + 1));
  st->current_link = -1;
  std::string link_name;
  LinkHeader link = parse_link_header(name, &link_name);
  if (!rest.empty() && rest[0] != ';' && rest[0] != '#')
    fail(st, "unexpected text '" + std::string(rest) + "' after [" + std::string(name) + "]");
  else if (link == LinkHeader::kLink)
    start_link(st, std::move(link_name));
  else if (link == LinkHeader::kBadName)
    fail(st, "bad section [" + std::string(name) + "]: expected [link NAME] with a NAME of 1 to " +
                 std::to_string(kMaxLinkName) + " letters, digits, '_', '.' or '-'");
  else if (!known_section(name))
    fail(st, "unknown section [" + std::string(name) + "] (sections are " +
                 std::string(kSectionList) + ")");
}

// An fgets-style reader over the text: one physical line per call, so
// inih's line count and ours agree.
char* read_line(char* buf, int size, void* stream) {
  auto* st = static_cast<ParseState*>(stream);
  if (st->pos >= st->text.size() || st->error_line != 0) return nullptr;
  size_t end = st->text.find('\n', st->pos);
  end = end == std::string_view::npos ? st->text.size() : end + 1;
  std::string_view line = st->text.substr(st->pos, end - st->pos);
  st->pos = end;
  ++st->line;
  std::string_view content = line.substr(0, line.size() - (line.back() == '\n' ? 1 : 0));
  if (content.find('\0') != std::string_view::npos) {
    fail(st, "NUL character in line");
    return nullptr;
  }
  if (content.size() > kMaxLine || line.size() + 1 > static_cast<size_t>(size)) {
    fail(st, "line too long (more than " + std::to_string(kMaxLine) + " characters)");
    return nullptr;
  }
  // inih skips a UTF-8 byte order mark at the start; so does the check.
  if (st->line == 1 && content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);
  check_section_line(st, content);
  if (st->error_line != 0) return nullptr;
  line.copy(buf, line.size());
  buf[line.size()] = '\0';
  return buf;
}

void fail_value(ParseState* st, std::string_view name, bool secret, std::string_view value,
                const ValueError& err) {
  if (!err.message.empty())
    fail(st, err.message);
  else if (secret)
    fail(st, "bad value for " + std::string(name) + ": " + err.expected);
  else
    fail(st, "bad value '" + std::string(value) + "' for " + std::string(name) + ": " +
                 err.expected);
}

bool apply_value(ParseState* st, const Key& key, std::string_view value) {
  ValueError err;
  if (key.set(value, st->cfg, &err)) return true;
  fail_value(st, key.name, key.secret, value, err);
  return false;
}

// A key of a [link NAME] section; lists add to the link's list.
int handle_link_key(ParseState* st, std::string_view name, const char* raw) {
  LinkSpec& link = st->cfg->links[static_cast<size_t>(st->current_link)];
  const LinkKey* key = find_link_key(name);
  if (!key) {
    fail(st, "unknown key '" + std::string(name) + "' in section [link \"" + link.name + "\"]");
    return 0;
  }
  std::string value = decode_value(raw);
  std::vector<std::string_view> items;
  if (key->kind == KeyKind::kList) {
    items = split_list(value);
  } else {
    auto [it, first] = st->link_scalar_lines.emplace(std::pair(st->current_link, key), st->line);
    if (!first) {
      fail(st, std::string(key->name) + " set twice, first at line " + std::to_string(it->second));
      return 0;
    }
    items.push_back(value);
  }
  for (std::string_view item : items) {
    ValueError err;
    if (item.empty() && key->kind == KeyKind::kList) {
      fail(st, "empty item in the list of " + std::string(key->name));
      return 0;
    }
    if (!key->set(item, &link, &err)) {
      fail_value(st, key->name, false, item, err);
      return 0;
    }
  }
  return 1;
}

int handle_key(void* user, const char* section, const char* name, const char* raw) {
  auto* st = static_cast<ParseState*>(user);
  std::string_view sec = trim(section), nm = name;
  if (sec.empty()) {
    fail(st, "key '" + std::string(nm) + "' outside a section (put it under " +
                 std::string(kSectionList) + ")");
    return 0;
  }
  if (st->current_link >= 0) return handle_link_key(st, nm, raw);
  const Key* key = find_key(sec, nm);
  if (!key) {
    fail(st, "unknown key '" + std::string(nm) + "' in section [" + std::string(sec) + "]");
    return 0;
  }
  std::string value = decode_value(raw);
  if (key->kind == KeyKind::kList) {
    // The file's list replaces whatever the Config held before.
    if (st->lists_started.insert(key).second) key->clear(st->cfg);
    for (std::string_view item : split_list(value)) {
      if (item.empty()) {
        fail(st, "empty item in the list of " + std::string(key->name));
        return 0;
      }
      if (!apply_value(st, *key, item)) return 0;
    }
    return 1;
  }
  auto [it, first] = st->scalar_lines.emplace(key, st->line);
  if (!first) {
    fail(st, std::string(key->name) + " set twice, first at line " + std::to_string(it->second));
    return 0;
  }
  if (key->name == "shared_key" || key->name == "shared_key_file") {
    if (st->shared_key_line != 0) {
      fail(st, std::string(key->name) + " and " + std::string(st->shared_key_name) + " (line " +
                   std::to_string(st->shared_key_line) + ") are both set: use one of them");
      return 0;
    }
    st->shared_key_line = st->line;
    st->shared_key_name = key->name;
    // Setting one source of the key forgets a key from the other.
    st->cfg->shared_key.clear();
    st->cfg->shared_key_file.clear();
  }
  return apply_value(st, *key, value) ? 1 : 0;
}

// inih's behaviour is set through process-wide variables in Debian's
// build; these are the settings this parser depends on.
void configure_inih() {
  ini_allow_multiline = false;        // an indented "key = value" is a key, not a continuation
  ini_allow_inline_comments = false;  // decode_value handles comments and quotes
  ini_allow_no_value = false;
  ini_allow_bom = true;
  ini_stop_on_first_error = true;
  // A heap line buffer of exactly kMaxLine + 3 bytes (line, "\r\n" or
  // "\n", NUL): without the stack buffer, its size is ini_initial_alloc.
  ini_use_stack = false;
  ini_allow_realloc = false;
  ini_initial_alloc = static_cast<int>(kMaxLine + 3);
  ini_max_line = static_cast<int>(kMaxLine + 3);
}

}  // namespace

bool parse_ini_text(std::string_view text, std::string_view filename, Config* cfg,
                    std::string* error) {
  configure_inih();
  ParseState st;
  st.text = text;
  st.cfg = cfg;
  cfg->config_file = filename;
  int rc = ini_parse_stream(read_line, &st, handle_key, &st);
  std::string where(filename);
  if (st.error_line != 0) {
    *error = where + ":" + std::to_string(st.error_line) + ": " + st.error;
    return false;
  }
  if (rc > 0) {
    *error = where + ":" + std::to_string(rc) +
             ": syntax error (expected [section], key = value or a comment)";
    return false;
  }
  if (rc < 0) {
    *error = where + ": out of memory while parsing";
    return false;
  }
  // Links are checked as a whole here, where their lines are known;
  // validate() checks them again after the command line.
  if (st.links_started) {
    size_t at = 0;
    std::string why = check_links(*cfg, &at);
    if (!why.empty()) {
      int line = at < st.link_lines.size() ? st.link_lines[at] : st.link_lines.back();
      *error = where + ":" + std::to_string(line) + ": " + why;
      return false;
    }
  }
  return true;
}

}  // namespace braid::config
