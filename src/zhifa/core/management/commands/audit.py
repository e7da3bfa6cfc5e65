import re

from django.core.management.base import BaseCommand, CommandError

from zhifa.core import audit

_ANCHOR = re.compile(r"^\s*(\d{1,18})\s*:\s*([0-9a-fA-F]{64})\s*$")


def _parse_anchor(text: str) -> tuple[int, str]:
    m = _ANCHOR.match(text)
    if not m:
        raise CommandError(
            f"锚点“{text.strip()[:80]}”格式不正确：应为“链序号:64位十六进制哈希”，即 zhifa audit head 的输出"
        )
    return int(m.group(1)), m.group(2).lower()


class Command(BaseCommand):
    help = (
        "审计日志：verify 校验哈希链与业务数据；head 输出链尾锚点供外部留存；"
        "seal 立即封存待封存记录（启用密钥后先运行一次）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "action",
            choices=["verify", "head", "seal"],
            help="verify：逐条重新计算签名并校验；head：输出链尾锚点；seal：封存并用当前密钥签名链尾",
        )
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="verify 时核对此前留存的锚点（可多次给出）",
        )
        parser.add_argument("--anchor-file", help="verify 时核对文件中逐行留存的锚点")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "head":
            self._head()
        elif action == "seal":
            self._seal()
        else:
            self._verify(options)

    def _head(self):
        from zhifa.core.models import AuditHead

        audit.seal_pending(wait=True)
        head = AuditHead.objects.filter(pk=1).first()
        if head is None or not head.count:
            raise CommandError("审计链为空，没有可留存的锚点。")
        self.stdout.write(f"{head.seq}:{head.last_hash}")
        signed = f"{head.alg}/{head.key_id}" if head.mac else "无密钥签名"
        self.stderr.write(
            f"以上为链尾锚点（第{head.seq}条，{signed}）。请抄送司法所或存于本系统以外，"
            "日后用 zhifa audit verify --anchor 核对，可发现末尾记录被删除。"
        )

    def _seal(self):
        with audit.acting_as("命令行"):
            n = audit.seal_and_key_head()
        self.stdout.write(f"已封存{n}条记录。")

    def _verify(self, options):
        anchors = [_parse_anchor(a) for a in options["anchor"]]
        if options["anchor_file"]:
            try:
                with open(options["anchor_file"], encoding="utf-8") as fh:
                    lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"无法读取锚点文件 {options['anchor_file']}：{exc}") from exc
            anchors += [_parse_anchor(line) for line in lines]
        result = audit.verify(anchors)
        if result.ok:
            extra = f"，{len(anchors)}个外部锚点一致" if anchors else ""
            self.stdout.write(f"审计日志完整：共校验{result.checked}条记录{extra}，未发现篡改。")
            return
        for p in result.problems:
            self.stderr.write(p)
        raise CommandError(
            f"审计日志校验失败：发现{len(result.problems)}处问题（共{result.checked}条记录）。"
        )
