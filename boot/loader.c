/*
 * BOOTX64.EFI: Labyrinth's UEFI loader (GNU-EFI).
 *
 * Reads \labyrinth\kernel.elf and \labyrinth\cmdline.txt from the volume it
 * was loaded from, validates and loads the kernel, builds the kernel's page
 * tables (boot/address_space.c), takes the final memory map, leaves boot
 * services and jumps to the kernel with a struct boot_info. Every page it
 * hands over carries an OS-defined memory type (boot/bootinfo.h).
 * docs/01-boot.md walks through it step by step.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/bootinfo.h"
#include "boot/elf.h"
#include "boot/loader.h"
#include "kernel/lib/cmdline_text.h"
#include "kernel/lib/format.h"

#define CMDLINE_MAX 2048

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;

EFI_STATUS loader_error(EFI_STATUS status, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	Print(L"boot: %a\n", line);
	return status;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

/*
 * What the loader turns on before jumping, checked before anything is
 * loaded. Long mode, 2 MiB pages and CR0.WP come with every x86-64 CPU
 * that runs UEFI; EFER.NXE does not: without NX the page tables' NX bits
 * are reserved bits, and the first access through one is a fault that
 * nothing can report yet (the machine resets). Labyrinth maps its image
 * W^X, so it refuses such a CPU instead of running without the guarantee.
 */
static EFI_STATUS check_cpu(void)
{
	uint32_t r[4];
	cpuid(0x80000000, r);
	uint32_t max_ext = r[0];
	bool nx = false;
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, r);
		nx = r[3] & (1u << 20);
	}
	if (!nx)
		return loader_error(
		    EFI_UNSUPPORTED,
		    "cpu: no NX (no-execute) bit (CPUID 0x80000001 EDX[20]); the "
		    "kernel maps itself W^X and needs EFER.NXE: use a CPU with NX "
		    "(QEMU: -cpu max, or a model without -nx)");
	return EFI_SUCCESS;
}

/* Reads a whole file into pool memory. Returns EFI_NOT_FOUND quietly so the
 * caller can decide whether a missing file is an error. */
static EFI_STATUS read_file(EFI_FILE_HANDLE root, CHAR16 *path, void **data,
			    UINTN *size)
{
	EFI_FILE_HANDLE file;
	EFI_STATUS st = root->Open(root, &file, path, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	EFI_FILE_INFO *info = LibFileInfo(file);
	if (!info) {
		file->Close(file);
		return EFI_DEVICE_ERROR;
	}
	*size = info->FileSize;
	FreePool(info);
	st = BS->AllocatePool(EfiLoaderData, *size + 1, data);
	if (!EFI_ERROR(st)) {
		UINTN got = *size;
		st = file->Read(file, &got, *data);
		if (!EFI_ERROR(st) && got != *size)
			st = EFI_END_OF_FILE;
	}
	file->Close(file);
	return st;
}

static EFI_STATUS open_boot_volume(EFI_HANDLE image, EFI_LOADED_IMAGE **loaded,
				   EFI_FILE_HANDLE *root)
{
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_STATUS st = BS->HandleProtocol(image, &gEfiLoadedImageProtocolGuid,
					   (void **)loaded);
	if (EFI_ERROR(st))
		return loader_error(st,
				    "no LoadedImage protocol (status 0x%lx)",
				    st);
	st =
	    BS->HandleProtocol((*loaded)->DeviceHandle,
			       &gEfiSimpleFileSystemProtocolGuid, (void **)&fs);
	if (EFI_ERROR(st))
		return loader_error(st,
				    "boot volume has no file system (status 0x%lx)",
				    st);
	st = fs->OpenVolume(fs, root);
	if (EFI_ERROR(st))
		return loader_error(st,
				    "cannot open the boot volume (status 0x%lx)",
				    st);
	return EFI_SUCCESS;
}

/* Copies cmdline.txt into dst as one line of text (kernel/lib/cmdline_text.h)
 * and says what it had to change. */
static void copy_cmdline(const char *src, UINTN len, char *dst)
{
	struct cmdline_text r = cmdline_copy_text(src, len, dst, CMDLINE_MAX);
	if (r.truncated)
		loader_error(0, "cmdline.txt: %lu bytes, truncated to %d",
			     (UINTN)r.truncated, CMDLINE_MAX - 1);
	if (r.replaced)
		loader_error(
		    0,
		    "cmdline.txt: %u bytes that are not printable ASCII (NUL, control or non-ASCII) replaced by '?'",
		    r.replaced);
}

/* Allocates zeroed pages of an OS-defined type. */
EFI_STATUS alloc_pages(UINT32 type, UINTN pages, UINT64 *phys)
{
	EFI_STATUS st = BS->AllocatePages(AllocateAnyPages, type, pages, phys);
	if (EFI_ERROR(st))
		return loader_error(st, "out of memory: %lu pages of type 0x%x",
				    pages, type);
	SetMem((void *)(uintptr_t)*phys, pages * EFI_PAGE_SIZE, 0);
	return EFI_SUCCESS;
}

static EFI_STATUS load_kernel(const void *file, UINTN size,
			      struct elf_image *img, UINT64 *phys)
{
	char why[160];
	if (elf_validate(file, size, KERNEL_WINDOW_BASE, KERNEL_WINDOW_END, img,
			 why, sizeof(why)))
		return loader_error(EFI_LOAD_ERROR, "kernel.elf: %s", why);
	UINTN pages = (img->vaddr_end - img->vaddr_start) / EFI_PAGE_SIZE;
	EFI_STATUS st = alloc_pages(LABYRINTH_MEM_KERNEL, pages, phys);
	if (EFI_ERROR(st))
		return st;
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		CopyMem((void *)(uintptr_t)(*phys + s->vaddr -
					    img->vaddr_start),
			(void *)((const char *)file + s->offset), s->filesz);
	}
	return EFI_SUCCESS;
}

static void find_firmware_tables(struct boot_info *bi)
{
	for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &ST->ConfigurationTable[i];
		if (!CompareGuid(&t->VendorGuid, &acpi20_guid)) {
			bi->rsdp = (uint64_t)(uintptr_t)t->VendorTable;
			bi->rsdp_revision = 2;
		} else if (!CompareGuid(&t->VendorGuid, &acpi10_guid) &&
			   !bi->rsdp) {
			bi->rsdp = (uint64_t)(uintptr_t)t->VendorTable;
			bi->rsdp_revision = 0;
		}
	}
	unsigned n = 0;
	for (CHAR16 *v = ST->FirmwareVendor;
	     v && *v && n + 1 < sizeof(bi->firmware_vendor); v++)
		bi->firmware_vendor[n++] = *v < 0x80 ? (char)*v : '?';
	bi->firmware_vendor[n] = '\0';
	bi->firmware_revision = ST->FirmwareRevision;
	bi->uefi_revision = ST->Hdr.Revision;

	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop;
	if (!EFI_ERROR(LibLocateProtocol(&gEfiGraphicsOutputProtocolGuid,
					 (void **)&gop)) &&
	    gop->Mode && gop->Mode->Info) {
		struct boot_framebuffer *fb = &bi->framebuffer;
		fb->base = gop->Mode->FrameBufferBase;
		fb->size = gop->Mode->FrameBufferSize;
		fb->width = gop->Mode->Info->HorizontalResolution;
		fb->height = gop->Mode->Info->VerticalResolution;
		fb->pixels_per_scanline = gop->Mode->Info->PixelsPerScanLine;
		fb->pixel_format = gop->Mode->Info->PixelFormat;
	}
}

/*
 * The last steps: take the final memory map and leave boot services. Nothing
 * may allocate between GetMemoryMap and ExitBootServices, or the map key goes
 * stale; if it did anyway (firmware events can), the spec says to fetch the
 * map again and retry, which needs no allocation since the buffer has slack.
 */
static EFI_STATUS exit_boot_services(EFI_HANDLE image, struct boot_info *bi,
				     UINT64 map_buf, UINTN map_cap)
{
	for (int attempt = 0; attempt < 8; attempt++) {
		UINTN size = map_cap, key, desc_size;
		UINT32 desc_version;
		EFI_STATUS st =
		    BS->GetMemoryMap(&size, (void *)(uintptr_t)map_buf, &key,
				     &desc_size, &desc_version);
		if (EFI_ERROR(st))
			return loader_error(
			    st, "GetMemoryMap failed (status 0x%lx, %lu bytes)",
			    st, size);
		bi->memory_map = map_buf;
		bi->memory_map_size = size;
		bi->descriptor_size = desc_size;
		bi->descriptor_version = desc_version;
		st = BS->ExitBootServices(image, key);
		if (!EFI_ERROR(st))
			return EFI_SUCCESS;
		if (st != EFI_INVALID_PARAMETER)
			return loader_error(st,
					    "ExitBootServices failed (status 0x%lx)",
					    st);
	}
	return loader_error(EFI_ABORTED,
			    "ExitBootServices: map key stale 8 times");
}

static void __attribute__((noreturn))
enter_kernel(uint64_t pml4, uint64_t entry, uint64_t boot_info_virt)
{
	/* EFER.NXE must be on before NX bits mean anything (else they fault as
	 * reserved bits); CR0.WP makes read-only pages read-only for ring 0 too,
	 * which is what W^X needs. */
	uint32_t lo, hi;
	__asm__ volatile("cli");
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080));
	lo |= 1u << 11;
	__asm__ volatile("wrmsr" : : "a"(lo), "d"(hi), "c"(0xC0000080));
	uint64_t cr0;
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 |= 1ULL << 16;
	__asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
	/* After the CR3 write only the identity map keeps this code reachable;
	 * everything the jump needs is already in registers. */
	__asm__ volatile("mov %0, %%cr3\n\t"
			 "mov %1, %%rsp\n\t"
			 "xor %%ebp, %%ebp\n\t"
			 "push %%rbp\n\t" /* a zero return address ends backtraces */
			 "jmp *%2"
			 :
			 /* Fixed registers: none of them may be rbp, which
			  * the sequence zeroes before the jump. */
			 : "a"(pml4), "S"(BOOT_STACK_TOP), "d"(entry),
			   "D"(boot_info_virt)
			 : "memory");
	__builtin_unreachable();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
	EFI_LOADED_IMAGE *loaded;
	EFI_FILE_HANDLE root;
	void *kfile, *cmdfile = 0;
	UINTN ksize, cmdsize = 0;
	struct elf_image img;
	UINT64 kphys, stack_phys, bi_phys;

	InitializeLib(image, systab);
	Print(L"boot: Labyrinth loader\n");

	EFI_STATUS st = check_cpu();
	if (EFI_ERROR(st))
		return st;
	st = open_boot_volume(image, &loaded, &root);
	if (EFI_ERROR(st))
		return st;
	st = read_file(root, L"\\labyrinth\\kernel.elf", &kfile, &ksize);
	if (EFI_ERROR(st))
		return loader_error(
		    st,
		    "kernel.elf: cannot read \\labyrinth\\kernel.elf (%s, status 0x%lx)",
		    st == EFI_NOT_FOUND ? "not found" : "read error", st);
	st = read_file(root, L"\\labyrinth\\cmdline.txt", &cmdfile, &cmdsize);
	if (EFI_ERROR(st) && st != EFI_NOT_FOUND)
		return loader_error(st,
				    "cmdline.txt: read error (status 0x%lx)",
				    st);

	st = load_kernel(kfile, ksize, &img, &kphys);
	if (EFI_ERROR(st))
		return st;
	st = alloc_pages(LABYRINTH_MEM_BOOT_STACK,
			 BOOT_STACK_SIZE / EFI_PAGE_SIZE, &stack_phys);
	if (EFI_ERROR(st))
		return st;
	st = alloc_pages(LABYRINTH_MEM_BOOT_INFO, 1, &bi_phys);
	if (EFI_ERROR(st))
		return st;

	struct boot_info *bi = (struct boot_info *)(uintptr_t)bi_phys;
	char *cmdline = (char *)(bi + 1);
	bi->magic = BOOT_INFO_MAGIC;
	bi->version = BOOT_INFO_VERSION;
	bi->size = sizeof(*bi);
	copy_cmdline(cmdfile ? cmdfile : "", cmdsize, cmdline);
	bi->cmdline = bi_phys + sizeof(*bi);
	bi->cmdline_len = strlena((CHAR8 *)cmdline);
	bi->kernel_phys_base = kphys;
	bi->kernel_phys_size = img.vaddr_end - img.vaddr_start;
	bi->kernel_virt_base = img.vaddr_start;
	bi->kernel_entry_virt = img.entry;
	bi->hhdm_offset = HHDM_OFFSET;
	bi->boot_stack_phys = stack_phys;
	bi->boot_stack_size = BOOT_STACK_SIZE;
	bi->loader_image_base = (uint64_t)(uintptr_t)loaded->ImageBase;
	bi->loader_image_size = loaded->ImageSize;
	find_firmware_tables(bi);

	UINT64 map_buf;
	UINTN map_cap;
	st = build_page_tables(bi, &img, &map_buf, &map_cap);
	if (EFI_ERROR(st))
		return st;
	Print(L"boot: kernel at phys 0x%lx, entry 0x%lx, cmdline \"%a\"\n",
	      kphys, img.entry, cmdline);

	st = exit_boot_services(image, bi, map_buf, map_cap);
	if (EFI_ERROR(st))
		return st;
	enter_kernel(bi->page_table_root, img.entry, HHDM_OFFSET + bi_phys);
}
